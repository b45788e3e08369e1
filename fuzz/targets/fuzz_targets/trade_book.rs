#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| parsers::run("trade_book", data));
