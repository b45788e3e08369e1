//! What bounds the API: a body over `[api] max_body_bytes` is 413 without being read, a
//! client that stops sending is cut off (408), an unknown path is 404 and a wrong method
//! 405, all as JSON errors with a hint; and the server keeps serving after each.

use std::io::Write;
use std::net::TcpStream;

use testkit::Sandbox;
use testkit::api::{self, ApiServer, TOKEN, call, raw_call, read_reply};

fn server(api: &str) -> (Sandbox, ApiServer) {
    let sandbox = Sandbox::new("");
    sandbox.write_config(&api::config(sandbox.path(), api));
    let server = ApiServer::start(&sandbox);
    (sandbox, server)
}

#[test]
fn an_oversized_body_is_413_before_it_is_sent() {
    let (_sandbox, server) = server("max_body_bytes = 1024\n");
    // Only the head is sent: the answer comes from Content-Length alone.
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
    )
    .unwrap();
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(
        reply.error().contains("larger than the 1024 bytes"),
        "{}",
        reply.body
    );
    // A client that sends its body anyway still gets the answer, not a reset.
    let body = vec![b' '; 64 * 1024];
    let reply = call(server.addr(), "POST", "/v1/jobs", Some(TOKEN), Some(&body));
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(server.get("/v1/jobs", Some(TOKEN)).status, 200);
}

#[test]
fn a_client_that_stops_sending_is_cut_off() {
    let (_sandbox, server) = server("read_timeout_secs = 0.5\n");
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET /v1/jobs HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 408, "{}", reply.body);
    assert!(reply.error().contains("did not arrive"), "{}", reply.body);
}

#[test]
fn unknown_paths_wrong_methods_and_garbage_are_json_errors() {
    let (_sandbox, server) = server("");
    let missing = server.get("/v2/nothing", Some(TOKEN));
    assert_eq!(missing.status, 404);
    assert!(missing.error().contains("/v2/nothing"), "{}", missing.body);
    let wrong = server.send("DELETE", "/v1/jobs", None);
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET"));
    assert!(
        wrong.error().contains("DELETE is not allowed"),
        "{}",
        wrong.body
    );
    let garbage = raw_call(server.addr(), b"\x16\x03\x01\x02\x00 hello\r\n\r\n");
    assert_eq!(garbage.status, 400, "{}", garbage.body);
    let chunked = raw_call(
        server.addr(),
        b"POST /v1/jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(chunked.status, 411, "{}", chunked.body);
    assert_eq!(server.get("/v1/jobs", Some(TOKEN)).status, 200);
}
