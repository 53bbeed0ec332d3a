//! Prints the JSON Schema of a status document.
fn main() {
    println!("{:#}", status_core::json_schema());
}
