//! BSE's announcements come a page at a time (`pageno`), with the total in `Table1`'s
//! `ROWCNT`: every page is read, and no more than there are.

use testkit::Reply;
use testkit::corporate::*;

const PATH: &str = "/bse/AnnSubCategoryGetData/w";

fn page(ids: &[&str], total: usize) -> Vec<u8> {
    let one = std::fs::read_to_string(fixtures().join("bse-announcements.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&one).unwrap();
    let row = &value["Table"][0];
    let rows: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            let mut r = row.clone();
            r["NEWSID"] = serde_json::Value::String((*id).to_string());
            r
        })
        .collect();
    serde_json::json!({ "Table": rows, "Table1": [{ "ROWCNT": total }] })
        .to_string()
        .into_bytes()
}

#[test]
fn every_page_of_bse_announcements_is_read() {
    let s = setup_with("holidays = false\n");
    s.server.script(
        PATH,
        vec![
            Reply::Body(page(&["a-1", "a-2"], 3)),
            Reply::Body(page(&["a-3"], 3)),
            Reply::Body(page(&["never"], 3)),
        ],
    );
    s.run(&["--source", "bse"]).ok();
    assert_eq!(s.server.hits(PATH), 2, "{:?}", s.server.log());
    let conn = s.sandbox.db();
    let ids: Vec<String> = conn
        .prepare("SELECT exchange_id FROM corporate_announcements WHERE source = 'bse-announcements' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, ["a-1", "a-2", "a-3"]);
}
