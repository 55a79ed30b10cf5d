//! REST TOU info decoding against the reference client's recorded answers
//! (`tou_info` lines of the oracle's tou.jsonl, copied into tests/data/auth).

use nwp500::rest::models::tou::parse_tou_info;
use serde_json::Value;

#[test]
fn tou_info_matches_the_reference() {
    let path = format!(
        "{}/tests/data/auth/tou_info.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let parsed = parse_tou_info(&case["input"]["data"]).unwrap();
        let got = serde_json::to_value(&parsed).unwrap();
        assert_eq!(got, case["output"], "case {}", case["case"]);
        checked += 1;
    }
    assert_eq!(checked, 2);
}
