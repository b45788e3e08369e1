use super::*;

/// The actions in a line: "dividend final Rs 5 + dividend special Rs 2".
fn describe(actions: &[Action]) -> String {
    let money = |m: &Option<Money>| m.map_or("-".to_string(), |m| m.to_string());
    actions
        .iter()
        .map(|a| match a {
            Action::Dividend { kind, amount } => {
                format!(
                    "dividend {} {}",
                    format!("{kind:?}").to_lowercase(),
                    money(amount)
                )
            }
            Action::Split { from, to } => format!("split {from} -> {to}"),
            Action::Bonus(r) => format!("bonus {}:{}", r.new, r.held),
            Action::Rights {
                ratio,
                premium,
                price,
            } => format!(
                "rights {}:{} premium {} price {}",
                ratio.new,
                ratio.held,
                money(premium),
                money(price)
            ),
            Action::Buyback { price, size } => {
                format!("buyback price {} size {}", money(price), money(size))
            }
            Action::GeneralMeeting(Meeting::Annual) => "agm".to_string(),
            Action::GeneralMeeting(Meeting::Extraordinary) => "egm".to_string(),
            Action::Results { date, period } => format!(
                "results {} {}",
                date.map_or("-".to_string(), |d| d.to_string()),
                period.map_or("-".to_string(), |p| format!("{:?} {}", p.span, p.ended))
            ),
            Action::Scheme(s) => format!("scheme {s:?}").to_lowercase(),
            Action::InterestPayment => "interest".to_string(),
            Action::Redemption { partial: false } => "redemption".to_string(),
            Action::Redemption { partial: true } => "partial redemption".to_string(),
            Action::Distribution { amount } => format!("distribution {}", money(amount)),
            Action::Other(raw) => format!("other `{raw}`"),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Subjects as NSE (corporate actions, board meetings) and BSE (corporate actions, results
/// calendar purposes) write them, and what each announces.
const TABLE: &[(&str, &str)] = &[
    // NSE dividends: "Rs"/"Re", with or without a dot, "Per Share", kinds.
    ("Interim Dividend - Rs 6 Per Share", "dividend interim Rs 6"),
    ("Dividend - Re 1 Per Share", "dividend unspecified Rs 1"),
    ("Div-Rs.3.50 Per Share", "dividend unspecified Rs 3.50"),
    ("Dividend - Rs 31 Per Share", "dividend unspecified Rs 31"),
    (
        "Interim Dividend - Re 0.50 Per Share",
        "dividend interim Rs 0.50",
    ),
    ("Final Dividend - Rs 5 Per Share", "dividend final Rs 5"),
    ("Special Dividend - Rs 2 Per Share", "dividend special Rs 2"),
    (
        "Final Dividend - Rs 5 Per Share / Special Dividend - Rs 2 Per Share",
        "dividend final Rs 5 + dividend special Rs 2",
    ),
    (
        "Interim Dividend - Rs 9 Per Share/Special Dividend - Rs 18 Per Share",
        "dividend interim Rs 9 + dividend special Rs 18",
    ),
    (
        "Annual General Meeting/Dividend - Rs 8 Per Share",
        "agm + dividend unspecified Rs 8",
    ),
    (
        "Annual General Meeting/Final Dividend - Rs 10 Per Share",
        "agm + dividend final Rs 10",
    ),
    (
        "Final Dividend - Rs 3.50 Per Share",
        "dividend final Rs 3.50",
    ),
    (
        "Interim Dividend - Rs 1.25 Per Share",
        "dividend interim Rs 1.25",
    ),
    (
        "Second Interim Dividend - Rs 7 Per Share",
        "dividend interim Rs 7",
    ),
    (
        "2nd Interim Dividend - Rs 24 Per Share",
        "dividend interim Rs 24",
    ),
    (
        "Interim Dividend - Rs.20/- Per Share",
        "dividend interim Rs 20",
    ),
    ("Dividend Rs 2.40 Per Share", "dividend unspecified Rs 2.40"),
    (
        "Dividend - Rs 1,200 Per Share",
        "dividend unspecified Rs 1200",
    ),
    ("DIVIDEND - RS 4 PER SHARE", "dividend unspecified Rs 4"),
    ("Interim Div - Rs 3 Per Sh", "dividend interim Rs 3"),
    (
        "Final Dividend - Re.0.80 Per Share",
        "dividend final Rs 0.80",
    ),
    ("Dividend - ₹ 5 Per Share", "dividend unspecified Rs 5"),
    (
        "Dividend - INR 2.50 Per Share",
        "dividend unspecified Rs 2.50",
    ),
    ("Interim Dividend", "dividend interim -"),
    ("Dividend", "dividend unspecified -"),
    // BSE: "Rs. - 18.0000", four decimals, trailing spaces.
    ("Interim Dividend - Rs. - 18.0000", "dividend interim Rs 18"),
    ("Final Dividend - Rs. - 0.0500", "dividend final Rs 0.05"),
    ("Final Dividend - Rs. - 105.0000", "dividend final Rs 105"),
    ("Special Dividend - Rs. - 10.0000", "dividend special Rs 10"),
    ("Dividend - Rs. - 2.5000 ", "dividend unspecified Rs 2.50"),
    (
        "Interim Dividend - Rs. - 0.0525",
        "dividend interim Rs 0.0525",
    ),
    // Splits.
    (
        "Face Value Split (Sub-Division) - From Rs 10/- Per Share To Rs 2/- Per Share",
        "split Rs 10 -> Rs 2",
    ),
    (
        "Face Value Split (Sub-Division) - From Rs 10/- Per Share To Re 1/- Per Share",
        "split Rs 10 -> Rs 1",
    ),
    (
        "Face Value Split (Sub-Division) - From Rs 5/- Per Share To Re 1/- Per Share",
        "split Rs 5 -> Rs 1",
    ),
    (
        "Face Value Split (Sub-Division) - From Rs 2 Per Share To Re 1 Per Share",
        "split Rs 2 -> Rs 1",
    ),
    ("Stock  Split From Rs.10/- to Rs.1/-", "split Rs 10 -> Rs 1"),
    ("Stock  Split From Rs.5/- to Rs.1/-", "split Rs 5 -> Rs 1"),
    ("Stock  Split From Rs.10/- to Rs.2/-", "split Rs 10 -> Rs 2"),
    ("Stock Split From Rs.2/- to Re.1/-", "split Rs 2 -> Rs 1"),
    (
        "Sub-Division Of Shares From Rs 10 To Rs 5",
        "split Rs 10 -> Rs 5",
    ),
    ("Split", "other `Split`"),
    // Bonus.
    ("Bonus 1:1", "bonus 1:1"),
    ("Bonus 2:1", "bonus 2:1"),
    ("Bonus 1:2", "bonus 1:2"),
    ("Bonus issue 9:50", "bonus 9:50"),
    ("Bonus issue 4:1", "bonus 4:1"),
    ("Bonus 3 : 5", "bonus 3:5"),
    (
        "Bonus 1:1/Face Value Split (Sub-Division) - From Rs 10/- Per Share To Rs 2/- Per Share",
        "bonus 1:1 + split Rs 10 -> Rs 2",
    ),
    (
        "Bonus 1:1 & Dividend - Rs 2 Per Share",
        "bonus 1:1 + dividend unspecified Rs 2",
    ),
    // Rights.
    (
        "Rights 3:17 @ Premium Rs 1195/-",
        "rights 3:17 premium Rs 1195 price -",
    ),
    (
        "Rights 8:103 @ Premium Rs 148/-",
        "rights 8:103 premium Rs 148 price -",
    ),
    (
        "Rights 1:5 @ Rs 60 (Premium Rs 50)",
        "rights 1:5 premium Rs 50 price Rs 60",
    ),
    (
        "Rights Issue 1:4 At Price Of Rs 12/-",
        "rights 1:4 premium - price Rs 12",
    ),
    (
        "Right Issue Of Equity Shares 2:7 @ Rs 25/-",
        "rights 2:7 premium - price Rs 25",
    ),
    (
        "Rights 1:6 @ Premium Rs. 0.50",
        "rights 1:6 premium Rs 0.50 price -",
    ),
    // Buybacks.
    ("Buy Back of Shares", "buyback price - size -"),
    ("Buy Back", "buyback price - size -"),
    ("Buyback", "buyback price - size -"),
    (
        "Buy Back @ Rs 4150 Per Share",
        "buyback price Rs 4150 size -",
    ),
    (
        "Buyback of Equity Shares - Rs 17,000 Crore @ Rs 4,150 Per Share",
        "buyback price Rs 4150 size Rs 170000000000",
    ),
    (
        "Buy-Back Of Shares At Rs 1,750 Per Share Aggregating Rs 9,300 Cr",
        "buyback price Rs 1750 size Rs 93000000000",
    ),
    // General meetings.
    ("Annual General Meeting", "agm"),
    ("Annual General Meeting/Book Closure", "agm"),
    ("AGM", "agm"),
    ("E.G.M. ", "egm"),
    ("Extra Ordinary General Meeting", "egm"),
    ("Extraordinary General Meeting/Book Closure", "egm"),
    ("EGM", "egm"),
    ("A.G.M. ", "agm"),
    // Results (board meetings, BSE purposes).
    ("Financial Results", "results - -"),
    (
        "Financial Results/Dividend",
        "results - - + dividend unspecified -",
    ),
    ("Quarterly Results", "results - -"),
    ("Audited Results", "results - -"),
    ("Half Yearly Results", "results - -"),
    (
        "Financial Results & Fund Raising",
        "results - - + other `Fund Raising`",
    ),
    (
        "SIYARAM SILK MILLS LIMITED has informed the Exchange about Board Meeting to be held on 30-Oct-2023 to consider and approve the Quarterly Unaudited Financial results of the Company for the period ended September 2023 and Dividend.",
        "results 2023-10-30 Quarter 2023-09-30 + dividend unspecified -",
    ),
    (
        "To consider and approve the Financial Results for the quarter ended June 30, 2024",
        "results - Quarter 2024-06-30",
    ),
    (
        "To consider and approve the audited financial results for the year ended March 2024 and recommend a final dividend",
        "results - Year 2024-03-31 + dividend final -",
    ),
    (
        "Un-audited financial results for the half year ended 30th September 2023",
        "results - HalfYear 2023-09-30",
    ),
    // Schemes.
    ("Scheme of Arrangement", "scheme arrangement"),
    ("Demerger", "scheme demerger"),
    ("Amalgamation ", "scheme amalgamation"),
    ("Scheme Of Amalgamation", "scheme amalgamation"),
    ("Merger", "scheme merger"),
    ("Capital Reduction", "scheme capitalreduction"),
    ("Reduction of Capital", "scheme capitalreduction"),
    // Debt series.
    ("Interest Payment", "interest"),
    ("Redemption", "redemption"),
    ("Interest Payment/Redemption", "interest + redemption"),
    ("Partial Redemption", "partial redemption"),
    ("Payment Of Interest", "interest"),
    ("Redemption Of NCD", "redemption"),
    // REITs and InvITs.
    ("Income Distribution (InvIT) ", "distribution -"),
    ("Distribution - Rs 2.15 Per Unit", "distribution Rs 2.15"),
    (
        "Income Distribution RITES - Rs 3.05 Per Unit",
        "distribution Rs 3.05",
    ),
    // Nothing typed: kept whole.
    ("Consolidation Of Shares", "other `Consolidation Of Shares`"),
    ("Updates", "other `Updates`"),
    (
        "Compliances-Reg. 39 (3) - Details of Loss of Certificate / Duplicate Certificate",
        "other `Compliances-Reg. 39 (3) - Details of Loss of Certificate / Duplicate Certificate`",
    ),
    ("Change in Directors", "other `Change in Directors`"),
    ("", "other ``"),
    ("Bonus", "other `Bonus`"),
];

#[test]
fn the_table_of_real_phrasings() {
    assert!(TABLE.len() >= 80, "{} phrasings", TABLE.len());
    let mut wrong = Vec::new();
    for (subject, expected) in TABLE {
        let got = describe(&parse(subject));
        if got != *expected {
            wrong.push(format!(
                "{subject:?}\n   expected {expected}\n   got      {got}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_subject_is_never_lost() {
    for subject in [
        "",
        "/",
        "Rs",
        "Rs.",
        "1:0",
        "::::",
        "Rs 99999999999999999999",
        "\u{202e}₹₹₹ 5",
    ] {
        let actions = parse(subject);
        assert!(!actions.is_empty(), "{subject:?}");
    }
}

#[test]
fn kinds_are_stored_by_name() {
    assert_eq!(parse("Bonus 1:1")[0].kind().as_str(), "bonus");
    assert!(recognised(&parse("Bonus 1:1")));
    assert!(!recognised(&parse("Updates")));
}

proptest::proptest! {
    #[test]
    fn any_text_parses_to_at_least_one_action(text in "\\PC{0,300}") {
        proptest::prop_assert!(!parse(&text).is_empty());
    }

    #[test]
    fn subject_shaped_text_never_panics(
        text in "(Rs|Re|Rs\\.|₹|Div|Dividend|Bonus|Rights|Split|From|To|@|Premium|/|-|&|:|[0-9]{1,6}|\\.| |ended|September|2023|held on|30-Oct-2023){0,40}"
    ) {
        let _ = parse(&text);
    }
}

#[test]
fn a_huge_subject_is_read_in_bounded_time() {
    let huge = ":1".repeat(2_000_000);
    let actions = parse(&huge);
    assert_eq!(actions.len(), 1);
}
