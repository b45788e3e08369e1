//! The six sources, each a unit of work: NSE corporate actions, announcements and board
//! meetings, BSE announcements, corporate actions and results calendar.

use std::fmt;

use chrono::NaiveDate;

use crate::body::BodyError;
use crate::record::Batch;
use crate::sources::{bse, nse};

/// An exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Exchange {
    /// National Stock Exchange.
    Nse,
    /// BSE.
    Bse,
}

/// A source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// `/api/corporates-corporateActions?index=equities`.
    NseActions,
    /// `/api/corporate-announcements?index=equities`.
    NseAnnouncements,
    /// `/api/corporate-board-meetings?index=equities`.
    NseBoardMeetings,
    /// `AnnSubCategoryGetData/w`.
    BseAnnouncements,
    /// `DefaultData/w`.
    BseActions,
    /// `Corpforthresults/w`.
    BseResults,
}

impl Source {
    /// Every source, in the order a run asks them: BSE's announcements last, since they
    /// carry no short name and are mapped to NSE by the scrip codes the others stored.
    pub const ALL: [Source; 6] = [
        Source::NseActions,
        Source::NseAnnouncements,
        Source::NseBoardMeetings,
        Source::BseActions,
        Source::BseResults,
        Source::BseAnnouncements,
    ];

    /// The name units, `--from-file` and the `source` column use.
    pub fn name(self) -> &'static str {
        match self {
            Source::NseActions => "nse-actions",
            Source::NseAnnouncements => "nse-announcements",
            Source::NseBoardMeetings => "nse-board-meetings",
            Source::BseAnnouncements => "bse-announcements",
            Source::BseActions => "bse-actions",
            Source::BseResults => "bse-results",
        }
    }

    /// The source a name names.
    pub fn parse(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The names, for an error message.
    pub fn names() -> String {
        Source::ALL.map(Source::name).join(", ")
    }

    /// Its exchange.
    pub fn exchange(self) -> Exchange {
        match self {
            Source::NseActions | Source::NseAnnouncements | Source::NseBoardMeetings => {
                Exchange::Nse
            }
            _ => Exchange::Bse,
        }
    }

    /// The URL under the exchange's API `base` for dates `from` to `to`.
    pub fn url(self, base: &str, from: NaiveDate, to: NaiveDate) -> String {
        let base = base.trim_end_matches('/');
        let nse = |path: &str| {
            format!(
                "{base}/{path}?index=equities&from_date={}&to_date={}",
                from.format("%d-%m-%Y"),
                to.format("%d-%m-%Y")
            )
        };
        let (f, t) = (from.format("%Y%m%d"), to.format("%Y%m%d"));
        match self {
            Source::NseActions => nse("corporates-corporateActions"),
            Source::NseAnnouncements => nse("corporate-announcements"),
            Source::NseBoardMeetings => nse("corporate-board-meetings"),
            Source::BseAnnouncements => format!(
                "{base}/AnnSubCategoryGetData/w?pageno=1&strCat=-1&subcategory=-1&strPrevDate={f}&strToDate={t}&strSearch=P&strscrip=&strType=C"
            ),
            Source::BseActions => format!(
                "{base}/DefaultData/w?ddlcategorys=E&ddlindustrys=&segment=0&strSearch=D&Fdate={f}&TDate={t}"
            ),
            Source::BseResults => format!("{base}/Corpforthresults/w"),
        }
    }

    /// Its answer, typed.
    pub fn parse_body(self, body: &[u8]) -> Result<Batch, BodyError> {
        match self {
            Source::NseActions => nse::actions(body),
            Source::NseAnnouncements => nse::announcements(body),
            Source::NseBoardMeetings => nse::board_meetings(body),
            Source::BseAnnouncements => bse::announcements(body),
            Source::BseActions => bse::actions(body),
            Source::BseResults => bse::results(body),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
