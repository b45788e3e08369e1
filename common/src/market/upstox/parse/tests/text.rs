//! Hostile text in Upstox's answers: a provider's message with escapes, an option key with
//! one, an instrument master with escapes, line breaks, NUL and a 5 MB name.

use super::*;

#[test]
fn a_servers_message_is_quoted_on_one_line_without_escapes_and_cut_short() {
    // JSON escapes: ESC, a right-to-left override, a line break.
    let message = format!(r"Invalid\u001b[2J\u202e key\n{}", "x".repeat(1 << 20));
    let body = format!(
        r#"{{"status":"error","errors":[{{"errorCode":"UDAPI1087","message":"{message}"}}]}}"#
    );
    let detail = detail(candles(body.as_bytes()));
    assert!(
        detail.starts_with(
            "status is `error`, not `success`: UDAPI1087 Invalid [2J\\u{202e} key xxx"
        ),
        "{}",
        &detail[..100]
    );
    // 500 characters kept, the override written as 8.
    assert!(
        detail.ends_with("x…") && detail.chars().count() == 508,
        "{}",
        detail.len()
    );
}

#[test]
fn an_option_key_with_an_escape_refuses_the_chain_quoting_it_escaped() {
    let body = String::from_utf8(real("option_chain.json")).unwrap();
    assert!(body.contains(r#""NSE_FO|51059""#));
    let hostile = body.replace(r#""NSE_FO|51059""#, r#""NSE_FO|510\u001b[31m59""#);
    let detail = detail(option_chain(hostile.as_bytes()));
    assert!(
        detail.ends_with("instrument_key `NSE_FO|510\\x1b[31m59` is not valid"),
        "{detail}"
    );
}

#[test]
fn instrument_master_names_lose_control_characters_and_hostile_entries_are_skipped() {
    let huge = "A".repeat(5 << 20);
    let body = format!(
        r#"[
        {{"segment":"NSE_EQ","name":"RELIANCE\u001b[2J\u001b[31m INDUSTRIES\nINFO forged\u0000",
         "isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE"}},
        {{"segment":"NSE_EQ","name":"TCS","isin":"INE467B01029","instrument_type":"EQ",
         "instrument_key":"NSE_EQ|INE467B01029","trading_symbol":"TCS\u001b[31m"}},
        {{"segment":"NSE_EQ","name":"{huge}","isin":"INE009A01021","instrument_type":"EQ",
         "instrument_key":"NSE_EQ|INE009A01021","trading_symbol":"INFY"}},
        {{"segment":"NSE_EQ","name":"HDFC Bank","isin":"INE040A\n01034","instrument_type":"EQ",
         "instrument_key":"NSE_EQ|INE040A01034","trading_symbol":"HDFCBANK"}}
    ]"#
    );
    let entries = instruments(body.as_bytes()).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].trading_symbol, "RELIANCE");
    assert_eq!(entries[0].name, "RELIANCE[2J[31m INDUSTRIES INFO forged");
}
