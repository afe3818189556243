//! Writes a large kinetic model to standard output, for timing whole runs:
//!
//!     cargo run --release -p bioflux-runtime --example generate_model -- ring 2000 > ring.bio
//!     cargo run --release -p bioflux-runtime --example generate_model -- ring-with-total 2001 > total.bio
//!     cargo run --release -p bioflux-runtime --example generate_model -- compartments 500 > zones.bio

#[path = "../benches/generate/mod.rs"]
mod generate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args.get(1).and_then(|n| n.parse::<usize>().ok());
    match (args.first().map(String::as_str), size) {
        (Some("ring"), Some(n)) => print!("{}", generate::ring(n)),
        (Some("ring-with-total"), Some(n)) if n >= 2 => print!("{}", generate::ring_with_total(n)),
        (Some("compartments"), Some(n)) => print!("{}", generate::compartments(n)),
        _ => {
            eprintln!("usage: generate_model ring|ring-with-total|compartments SIZE");
            std::process::exit(2);
        }
    }
}
