//! `op landlock PLAN OP ARGS...`: restrict the probe with a polc Landlock plan, then
//! perform the operation.

use std::io::Write;

/// The case id the runner passes in the environment (for status lines).
fn case_id() -> String {
    std::env::var("POLC_CASE").unwrap_or_else(|_| "-".into())
}

/// Read the plan, `restrict_self`, then run the operation. `OP` = `status` prints
/// `POLC-STATUS <id> <json>` and succeeds; a refused enforcement prints
/// `POLC-LANDLOCK-ERROR <id> <message>` and exits 251.
pub(crate) fn landlock(args: &[String]) -> i32 {
    let id = case_id();
    let mut out = std::io::stdout().lock();
    let Some(plan_file) = args.first() else {
        return 254;
    };
    let plan: polc_landlock::Plan = match std::fs::read_to_string(plan_file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out, "POLC-LANDLOCK-ERROR {id} cannot read the plan: {e}");
            return 251;
        }
    };
    let status = match polc_landlock::restrict_self(&plan) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "POLC-LANDLOCK-ERROR {id} {e}");
            let _ = out.flush();
            return 251;
        }
    };
    let rest = args.get(1..).unwrap_or(&[]);
    if rest.first().map(String::as_str) == Some("status") {
        let json = serde_json::to_string(&status).unwrap_or_default();
        let _ = writeln!(out, "POLC-STATUS {id} {json}");
        let _ = out.flush();
        return 0;
    }
    drop(out);
    crate::ops::op(rest)
}
