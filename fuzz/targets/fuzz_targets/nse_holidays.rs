#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| parsers::run("nse_holidays", data));
