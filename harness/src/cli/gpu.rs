//! `gauntlet gpu`: this host's NVML report on stdout; 0 with a GPU, 1 without,
//! and why.

use gauntlet::gpu;

use super::Error;

/// Prints the report and judges it.
pub fn run() -> super::Result {
    let host = gpu::host_report();
    println!("{}", serde_json::to_string_pretty(&host).expect("a report serializes"));
    if let Some(why) = host.no_gpu() {
        return Err(Error::Failed(why));
    }
    let summary = gpu::judge_host(&host).map_err(|failure| Error::Failed(failure.0))?;
    eprintln!("gauntlet: {summary}");
    Ok(())
}
