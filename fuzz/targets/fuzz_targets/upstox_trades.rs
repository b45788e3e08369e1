#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| parsers::run("upstox_trades", data));
