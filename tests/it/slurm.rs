//! Issue 15: the README's Slurm job array run on a real single-machine Slurm cluster, one
//! task requeued mid-way, merged to exactly what one process gives
//! (`tests/slurm/cluster.sh`). Needs Debian's `slurm-wlm` and `munge` and root (or sudo);
//! skips loudly without them unless `EXOSCREEN_REQUIRE_SLURM=1` (CI sets it).

use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_readme_slurm_array_survives_a_requeue_and_merges_to_the_single_run() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let ready = have("slurmctld") && have("slurmd") && have("munged") && (root || have("sudo"));
    if !ready {
        if std::env::var("EXOSCREEN_REQUIRE_SLURM").as_deref() == Ok("1") {
            panic!("EXOSCREEN_REQUIRE_SLURM=1 but slurm-wlm, munge or root/sudo is missing");
        }
        eprintln!("SKIPPED: no Slurm here (apt-get install slurm-wlm munge, as root)");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slurm/cluster.sh");
    let bin = env!("CARGO_BIN_EXE_exoscreen");
    let mut cmd = if root {
        Command::new("bash")
    } else {
        let mut c = Command::new("sudo");
        c.args(["-E", "bash"]);
        c
    };
    let out = cmd.args([script, bin]).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "the Slurm test failed:\n{text}");
    assert!(
        text.contains("slurm test") && text.contains("passed"),
        "{text}"
    );
}
