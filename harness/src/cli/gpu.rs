//! `gauntlet gpu`: this host's NVML report on stdout; 0 with a GPU, 1 without,
//! and why.

use gauntlet::gpu;

use super::Error;

/// Prints the report and judges it.
pub fn run() -> super::Result {
    let host = gpu::host_report();
    println!("{}", serde_json::to_string_pretty(&host).expect("a report serializes"));
    let verdict = match host.no_gpu() {
        Some(why) => Err(why),
        None => gpu::judge_host(&host),
    };
    let summary = verdict.map_err(Error::Failed)?;
    eprintln!("gauntlet: {summary}");
    Ok(())
}
