//! `verify` checks a backup in full: a good one passes, one with bytes changed fails its
//! checksum, a truncated one fails its length; both exit 65 naming the file and the fault.

use std::os::unix::fs::FileExt;

use testkit::backups::{BackupWorld, fill};
use testkit::binary::Outcome;

fn verify(world: &BackupWorld, file: Option<&std::path::Path>) -> Outcome {
    let mut args = vec!["verify".to_string()];
    args.extend(file.map(|f| f.display().to_string()));
    world.job().args(args).run().into_outcome()
}

#[test]
fn a_good_backup_verifies_and_a_damaged_or_truncated_one_is_named_with_65() {
    let world = BackupWorld::new("");
    fill(&world.desk(), 5_000, 100);
    world.run(&[]).ok();
    let backup = world.backups_of("desk").pop().unwrap();

    let good = verify(&world, None);
    assert_eq!(good.code, Some(0), "{}{}", good.stdout, good.stderr);
    assert!(
        good.stdout.contains("ok   ") && good.stdout.contains("desk-"),
        "{}",
        good.stdout
    );

    // One byte changed in the middle: same length, another checksum.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(&backup)
        .unwrap();
    let middle = file.metadata().unwrap().len() / 2;
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, middle).unwrap();
    file.write_all_at(&[byte[0] ^ 0xff], middle).unwrap();
    let damaged = verify(&world, None);
    assert_eq!(
        damaged.code,
        Some(65),
        "{}{}",
        damaged.stdout,
        damaged.stderr
    );
    assert!(damaged.stdout.contains("BAD  "), "{}", damaged.stdout);
    let line = damaged.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains(&backup.display().to_string()) && line.contains("SHA-256"),
        "{line}"
    );

    file.set_len(middle).unwrap();
    let truncated = verify(&world, Some(&backup));
    assert_eq!(truncated.code, Some(65), "{}", truncated.stderr);
    assert!(
        truncated
            .stderr
            .contains(&format!("it is {middle} bytes long"))
            && truncated.stderr.contains("truncated"),
        "{}",
        truncated.stderr
    );
    // The other database's backup is untouched and still verifies on its own.
    let market = world.backups_of("market_data").pop().unwrap();
    assert_eq!(verify(&world, Some(&market)).code, Some(0));
}
