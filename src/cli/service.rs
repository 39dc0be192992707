//! Service commands (filled in with the web spine).
pub fn serve(_: &[String]) -> Result<(), String> { Err("todo".into()) }
pub fn migrate(_: &[String]) -> Result<(), String> { Err("todo".into()) }
pub fn import(_: &[String]) -> Result<(), String> { Err("todo".into()) }
pub fn user(_: &[String]) -> Result<(), String> { Err("todo".into()) }
