use entra_emulator::ImdsStub;

async fn get(base: &str, path: &str, metadata: bool) -> (u16, serde_json::Value) {
    let uri: hyper::Uri = format!("{base}{path}").parse().unwrap();
    let tcp = tokio::net::TcpStream::connect(format!(
        "{}:{}",
        uri.host().unwrap(),
        uri.port_u16().unwrap()
    ))
    .await
    .unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::get(path).header("host", uri.authority().unwrap().as_str());
    if metadata {
        req = req.header("Metadata", "true");
    }
    let resp = sender
        .send_request(
            req.body(http_body_util::Empty::<bytes::Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

const COMPUTE: &str = "/metadata/instance/compute?api-version=2021-02-01";

#[tokio::test]
async fn imds_reports_location() {
    let imds = ImdsStub::start(Some("eastus")).await.unwrap();
    assert!(imds.base_url().starts_with("http://127.0.0.1:"));
    let (status, body) = get(&imds.base_url(), COMPUTE, true).await;
    assert_eq!(status, 200);
    assert_eq!(body["location"], "eastus");
    assert_eq!(imds.request_count(), 1);
    imds.set_location(None);
    assert_eq!(get(&imds.base_url(), COMPUTE, true).await.0, 404);
    assert_eq!(imds.request_count(), 2);
}

#[tokio::test]
async fn imds_without_location_or_header() {
    let imds = ImdsStub::start(None).await.unwrap();
    assert_eq!(get(&imds.base_url(), COMPUTE, true).await.0, 404);
    let (status, body) = get(&imds.base_url(), COMPUTE, false).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("metadata header"));
    let (status, body) = get(&imds.base_url(), "/metadata/instance/compute", true).await;
    assert_eq!(status, 400);
    assert_eq!(body["newest-versions"][0], "2023-07-01");
    assert_eq!(imds.request_count(), 3);
    let base = imds.base_url();
    imds.shutdown().await;
    let addr = base.trim_start_matches("http://");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
