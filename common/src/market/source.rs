//! The provider a run talks to: Upstox when its access
//! token is configured (or asked for), else Yahoo Finance; either way with the provider's
//! request budget, which every process on the machine shares.

use serde::Deserialize;

use crate::Exit;
use crate::budget::{self, SharedBudget};
use crate::credentials::{self, Secret};
use crate::harness::{Context, Fatal};
use crate::http::{Admission, HttpClient};

use crate::market::provider::Provider;
use crate::market::upstox::Upstox;
use crate::market::yahoo::Yahoo;

/// Which provider serves a run (each job's `source` key and `--source` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceChoice {
    /// Upstox when its access token is configured, else Yahoo Finance.
    Auto,
    /// Upstox (needs the `upstox_token` credential).
    Upstox,
    /// Yahoo Finance's chart API (no key; no option chains).
    Yahoo,
}

/// A connection to the chosen provider.
pub struct Source {
    http: HttpClient,
    budget: SharedBudget,
    token: Option<Secret>,
    upstox_url: String,
    yahoo_url: String,
}

impl Source {
    /// Picks the provider for `choice`, loads the Upstox token (credential `upstox_token`) and
    /// opens the provider's budget. Exit 78 when Upstox is asked for without a token.
    pub fn connect<C>(ctx: &Context<C>, choice: SourceChoice) -> anyhow::Result<Source> {
        let providers = &ctx.config.providers;
        let token = credentials::load(
            "upstox_token",
            credentials::systemd_directory().as_deref(),
            &ctx.config.credentials,
        )
        .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?;
        let token = match (choice, token) {
            (SourceChoice::Yahoo, _) => None,
            (_, Some(token)) => Some(token),
            (SourceChoice::Upstox, None) => {
                return Err(Fatal::new(
                    Exit::Config,
                    "Upstox needs an access token: put it in $CREDENTIALS_DIRECTORY/upstox_token (systemd) \
                     or a file named by [credentials] upstox_token, or use --source yahoo",
                )
                .into());
            }
            (SourceChoice::Auto, None) => {
                tracing::info!(
                    "no Upstox access token (credential upstox_token): using Yahoo Finance, which has no option chains"
                );
                None
            }
        };
        let (name, limits) = match token {
            Some(_) => ("upstox", providers.upstox.limits.clone()),
            None => ("yahoo", providers.yahoo.limits.clone()),
        };
        Ok(Source {
            // Its own client, so that the context's stays free for the outbox; the run's
            // deadline and the hosts it stopped asking hold for both.
            http: ctx.http.fork(),
            budget: budget::for_run(ctx, name, limits)?,
            token,
            upstox_url: providers.upstox.base_url.clone(),
            yahoo_url: providers.yahoo.base_url.clone(),
        })
    }

    /// The provider, each request admitted by the shared budget.
    pub fn provider(&self) -> Box<dyn Provider + '_> {
        self.provider_admitted_by(&self.budget)
    }

    /// The provider, each request admitted by `admission` (which spends [`Source::budget`]
    /// in its own way, such as [`crate::budget::Prepaid`]).
    pub fn provider_admitted_by<'a>(
        &'a self,
        admission: &'a (dyn Admission + Sync),
    ) -> Box<dyn Provider + 'a> {
        match &self.token {
            Some(token) => Box::new(Upstox::new(&self.http, admission, &self.upstox_url, token)),
            None => Box::new(Yahoo::new(&self.http, admission, &self.yahoo_url)),
        }
    }

    /// The Upstox client, when a token is configured: for Upstox endpoints outside market
    /// data, through the same budget.
    pub fn upstox(&self) -> Option<Upstox<'_>> {
        self.token
            .as_ref()
            .map(|token| Upstox::new(&self.http, &self.budget, &self.upstox_url, token))
    }

    /// The provider's request budget, shared with every other process.
    pub fn budget(&self) -> &SharedBudget {
        &self.budget
    }

    /// The HTTP client the provider uses (the instrument master is fetched with it too).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The `Authorization` value for an Upstox endpoint no [`Provider`] method covers (its
    /// market holidays), when the token is loaded.
    pub fn upstox_authorization(&self) -> Option<String> {
        self.token
            .as_ref()
            .map(|t| format!("Bearer {}", t.expose()))
    }
}
