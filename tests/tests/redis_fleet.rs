//! Fleet-wide single flight: 8 processes × 100 tasks on a cold Redis-backed cache ask at once
//! for a Bearer token (secret app) and an mTLS PoP token (SN/I app); the emulator must see
//! exactly one token request per partition.
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
const PROCESSES: usize = 8;
const TASKS: usize = 100;

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
    let (network, errors) = runtime.block_on(fleet_member(&config));
    println!("FLEET network={network} errors={errors}");
}

async fn fleet_member(config: &serde_json::Value) -> (usize, usize) {
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
    let start_at = config["start_at_ms"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(start_at.saturating_sub(unix_ms()))).await;
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (bearer, pop) = (bearer.clone(), pop.clone());
        tasks.push(tokio::spawn(async move {
            let b = bearer.acquire_token_for_client([SCOPE]).await;
            let p = pop
                .acquire_token_for_client([SCOPE])
                .with_mtls_proof_of_possession()
                .await;
            [b.map(|r| r.token_source()), p.map(|r| r.token_source())]
        }));
    }
    let (mut network, mut errors) = (0, 0);
    for task in tasks {
        for outcome in task.await.unwrap() {
            match outcome {
                Ok(TokenSource::IdentityProvider) => network += 1,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("error surfaced: {e}");
                    errors += 1;
                }
            }
        }
    }
    (network, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_of_a_hundred_cold_tasks_make_one_request_per_partition() {
    let env = TestEnv::start().await;
    let server = RedisServer::start();
    let dir = private_temp_dir("redis-fleet");
    let config = dir.join("fleet.json");
    let config_json = json!({
        "ca_pem": env.emulator.ca_certificate_pem(),
        "resolver": env.emulator.resolver_entries(),
        "sni_chain": env.sni_cert.chain_pem,
        "sni_key": env.sni_cert.key_pem,
        "redis_url": server.url(),
        // far enough ahead for every process to start and build its apps
        "start_at_ms": unix_ms() + 1_500,
    });
    std::fs::write(&config, serde_json::to_vec(&config_json).unwrap()).unwrap();
    let children: Vec<_> = (0..PROCESSES)
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
        .collect();
    let (mut network, mut errors) = (0, 0);
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
        network += field("network=");
        errors += field("errors=");
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(errors, 0, "no caller saw an error");
    let requests = env.emulator.token_requests();
    let per_app = |client_id: &str| {
        requests
            .iter()
            .filter(|r| r.form_value("client_id") == Some(client_id))
            .count()
    };
    assert_eq!(per_app(SECRET_APP), 1, "one Bearer request for the fleet");
    assert_eq!(per_app(SNI_APP), 1, "one PoP request for the fleet");
    assert_eq!(requests.len(), 2);
    assert_eq!(
        network, 2,
        "two callers of 1,600 got their token from the network"
    );
}
