//! Fleet-wide single flight: 8 processes × 100 tasks on a cold Redis-backed cache ask at once
//! for a Bearer token (secret app) and an mTLS PoP token (SN/I app); the emulator must see
//! exactly one token request per partition. And a Redis restart in the middle of a fleet run:
//! no caller sees an error, and L1 keeps serving (no extra token request).
//!
//! `FLEET_PROCESSES` and `FLEET_TASKS` change the fleet's size (`cargo xtask bench` sets them);
//! each run prints one `FIGURE` line.
//!
//! The processes are this test binary re-executed with `REDIS_FLEET_CHILD` pointing at a
//! configuration file (the emulator's CA and addresses, the SN/I certificate, the Redis URL and
//! a common start time): the harness runs only `child_process`, which does the work, prints
//! one `FLEET` line and exits. Without the variable `child_process` does nothing.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use msal::cache::RedisTokenCache;
use msal::{ClientCertificate, ConfidentialClientApplication, TokenSource};
use msal_e2e_tests::*;
use serde_json::json;

const CHILD: &str = "REDIS_FLEET_CHILD";

/// (processes, tasks per process): 8 × 100 unless `FLEET_PROCESSES` / `FLEET_TASKS` say else.
fn fleet_size() -> (usize, usize) {
    let get = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (get("FLEET_PROCESSES", 8), get("FLEET_TASKS", 100))
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Child entry point (see the module docs).
#[test]
fn child_process() {
    let Ok(config) = std::env::var(CHILD) else {
        return;
    };
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config).unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tally = runtime.block_on(fleet_member(&config));
    println!(
        "FLEET calls={} network={} errors={}",
        tally.calls, tally.network, tally.errors
    );
}

/// What one process's callers saw.
#[derive(Debug, Default)]
struct Tally {
    calls: usize,
    network: usize,
    errors: usize,
}

impl Tally {
    fn count(&mut self, outcome: Result<TokenSource, msal::Error>) {
        self.calls += 1;
        match outcome {
            Ok(TokenSource::IdentityProvider) => self.network += 1,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error surfaced: {e}");
                self.errors += 1;
            }
        }
    }
}

/// The two apps of a fleet member, sharing one Redis-backed cache.
fn member_apps(
    config: &serde_json::Value,
) -> (ConfidentialClientApplication, ConfidentialClientApplication) {
    let text = |name: &str| config[name].as_str().unwrap().to_owned();
    let entries: Vec<(String, SocketAddr)> =
        serde_json::from_value(config["resolver"].clone()).unwrap();
    let transport = Arc::new(
        transport_from_parts(&text("ca_pem"), &entries)
            .build()
            .unwrap(),
    );
    let cache = Arc::new(
        RedisTokenCache::builder(&text("redis_url"))
            .operation_timeout(Duration::from_millis(100))
            .retry_after(Duration::from_millis(200))
            .build()
            .unwrap(),
    );
    let app = |client_id: &str| {
        ConfidentialClientApplication::builder(client_id)
            .authority(AUTHORITY)
            .transport(transport.clone())
            .token_cache(cache.clone())
            .region_environment(no_env())
    };
    let bearer = app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let certificate =
        ClientCertificate::from_pem_parts(text("sni_chain").as_bytes(), text("sni_key").as_bytes())
            .unwrap();
    let pop = app(SNI_APP).certificate(certificate).build().unwrap();
    (bearer, pop)
}

/// Waits for the common start, then runs `tasks` tasks, each asking for both tokens once (or,
/// with `run_ms`, again and again until then).
async fn fleet_member(config: &serde_json::Value) -> Tally {
    let (bearer, pop) = member_apps(config);
    let start_at = config["start_at_ms"].as_u64().unwrap();
    let end_at = start_at + config["run_ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(start_at.saturating_sub(unix_ms()))).await;
    let mut tasks = Vec::new();
    for _ in 0..config["tasks"].as_u64().unwrap() {
        let (bearer, pop) = (bearer.clone(), pop.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let b = bearer.acquire_token_for_client([SCOPE]).await;
                tally.count(b.map(|r| r.token_source()));
                let p = pop
                    .acquire_token_for_client([SCOPE])
                    .with_mtls_proof_of_possession()
                    .await;
                tally.count(p.map(|r| r.token_source()));
                if unix_ms() >= end_at {
                    return tally;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap();
        total.calls += tally.calls;
        total.network += tally.network;
        total.errors += tally.errors;
    }
    total
}

/// A fleet run: `processes` children × `tasks` tasks; with `run_ms`, they keep calling for
/// that long (while the test restarts Redis).
struct Run<'a> {
    env: &'a TestEnv,
    redis_url: String,
    processes: usize,
    tasks: usize,
    run_ms: u64,
}

impl Run<'_> {
    fn spawn(&self, dir: &std::path::Path) -> Vec<std::process::Child> {
        let config = dir.join("fleet.json");
        let config_json = json!({
            "ca_pem": self.env.emulator.ca_certificate_pem(),
            "resolver": self.env.emulator.resolver_entries(),
            "sni_chain": self.env.sni_cert.chain_pem,
            "sni_key": self.env.sni_cert.key_pem,
            "redis_url": self.redis_url,
            "tasks": self.tasks,
            "run_ms": self.run_ms,
            // far enough ahead for every process to start and build its apps
            "start_at_ms": unix_ms() + 1_500,
        });
        std::fs::write(&config, serde_json::to_vec(&config_json).unwrap()).unwrap();
        (0..self.processes)
            .map(|_| {
                Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "child_process",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD, &config)
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect()
    }

    fn collect(children: Vec<std::process::Child>) -> Tally {
        let mut total = Tally::default();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(output.status.success(), "{stdout}");
            let line = stdout
                .lines()
                .find_map(|l| l.find("FLEET ").map(|at| &l[at..]))
                .unwrap_or_else(|| panic!("no FLEET line in {stdout}"));
            let field = |name: &str| -> usize {
                let value = line.split(' ').find_map(|f| f.strip_prefix(name)).unwrap();
                value.parse().unwrap()
            };
            total.calls += field("calls=");
            total.network += field("network=");
            total.errors += field("errors=");
        }
        total
    }
}

/// Token requests the emulator saw for `client_id`.
fn requests_for(env: &TestEnv, client_id: &str) -> usize {
    env.emulator
        .token_requests()
        .iter()
        .filter(|r| r.form_value("client_id") == Some(client_id))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_of_a_hundred_cold_tasks_make_one_request_per_partition() {
    let env = TestEnv::start().await;
    let server = RedisServer::start();
    let dir = private_temp_dir("redis-fleet");
    let (processes, tasks) = fleet_size();
    let run = Run {
        env: &env,
        redis_url: server.url(),
        processes,
        tasks,
        run_ms: 0,
    };
    let total = Run::collect(run.spawn(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    let (bearer, pop) = (requests_for(&env, SECRET_APP), requests_for(&env, SNI_APP));
    println!(
        "FIGURE fleet-cold processes={processes} tasks={tasks} calls={} errors={} requests_bearer={bearer} requests_pop={pop}",
        total.calls, total.errors
    );
    assert_eq!(total.errors, 0, "no caller saw an error");
    assert_eq!(total.calls, processes * tasks * 2);
    assert_eq!(bearer, 1, "one Bearer request for the fleet");
    assert_eq!(pop, 1, "one PoP request for the fleet");
    assert_eq!(env.emulator.token_requests().len(), 2);
    assert_eq!(
        total.network, 2,
        "two callers got their token from the network"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_during_a_fleet_run_surfaces_no_error() {
    let env = TestEnv::start().await;
    let mut server = RedisServer::start();
    let dir = private_temp_dir("redis-restart");
    let (processes, tasks) = fleet_size();
    let (processes, tasks) = (processes.min(4), tasks.min(20));
    let run = Run {
        env: &env,
        redis_url: server.url(),
        processes,
        tasks,
        run_ms: 3_000,
    };
    let children = run.spawn(&dir);
    // The run starts 1.5 s from now and lasts 3 s: Redis is gone from about 1 s into it
    // until about 2 s.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let down = server.pid();
    server.kill();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    server.restart();
    assert_ne!(server.pid(), down);
    let total = tokio::task::spawn_blocking(move || Run::collect(children))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let requests = env.emulator.token_requests().len();
    println!(
        "FIGURE fleet-redis-restart processes={processes} tasks={tasks} calls={} errors={} requests={requests}",
        total.calls, total.errors
    );
    assert_eq!(total.errors, 0, "no caller saw an error");
    assert!(total.calls > processes * tasks * 4, "{total:?}");
    // Both tokens were requested once for the fleet before the outage; L1 served the rest.
    assert_eq!(requests, 2);
}
