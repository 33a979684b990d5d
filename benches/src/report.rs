//! The result table of a benchmark: for each case Lakeshore's time beside each peer's, and the
//! ratio Lakeshore / peer (below 1: Lakeshore is faster). Printed as markdown, ready to paste.

use crate::stats::{Summary, millis};

/// One line of the table.
pub struct Row {
    pub case: String,
    pub lakeshore: Option<Summary>,
    /// In the order of the table's peers; `None` where a peer has no such case.
    pub peers: Vec<Option<Summary>>,
}

/// Prints the table; `peers` names the peer columns.
pub fn print_comparison(peers: &[String], rows: &[Row]) {
    let mut header = vec!["case".to_string(), "lakeshore".to_string()];
    for peer in peers {
        header.push(peer.clone());
        header.push("ratio".to_string());
    }
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for row in rows {
        let mut cells = vec![row.case.clone(), cell(row.lakeshore)];
        for peer in &row.peers {
            cells.push(cell(*peer));
            cells.push(ratio(row.lakeshore, *peer));
        }
        println!("| {} |", cells.join(" | "));
    }
    println!();
    println!(
        "Times are medians (p90 in brackets when there are several samples); \
         ratio = lakeshore median / peer median."
    );
}

fn cell(summary: Option<Summary>) -> String {
    match summary {
        None => "-".to_string(),
        Some(s) if s.samples == 1 => millis(s.median),
        Some(s) => format!("{} ({})", millis(s.median), millis(s.p90)),
    }
}

fn ratio(ours: Option<Summary>, peer: Option<Summary>) -> String {
    match (ours, peer) {
        (Some(ours), Some(peer)) if !peer.median.is_zero() => {
            format!(
                "{:.2}",
                ours.median.as_secs_f64() / peer.median.as_secs_f64()
            )
        }
        _ => "-".to_string(),
    }
}
