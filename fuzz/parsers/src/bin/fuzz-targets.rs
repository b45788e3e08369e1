//! Prints the fuzz targets for `fuzz/run.sh`, one a line: name, maximum input length,
//! dictionary (`-` for none), then the seed directories.

fn main() {
    for t in parsers::TARGETS {
        // No trailing blank: `xargs -L 1` would join the next line to this one.
        let line = format!(
            "{} {} {} {}",
            t.name,
            t.max_len,
            t.dict.unwrap_or("-"),
            t.seeds.join(" ")
        );
        println!("{}", line.trim_end());
    }
}
