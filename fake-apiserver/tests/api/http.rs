//! The fake API server over real HTTPS, checked against what the real API server answers:
//! status codes, `Status` bodies, RBAC-like authorization, preconditions, content types.

use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer, Rule};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};

struct Fake {
    server: FakeApiServer,
    client: Client,
}

impl Fake {
    fn start() -> Self {
        let server = FakeApiServer::start(
            Config::default()
                .user(
                    "pusher",
                    "push-token",
                    vec![
                        Rule::configmaps(["get", "create", "patch"])
                            .names(["live"])
                            .in_namespaces(["default"]),
                    ],
                )
                .user(
                    "watcher",
                    "watch-token",
                    vec![
                        Rule::configmaps(["get", "list", "watch"])
                            .names(["live"])
                            .in_namespaces(["default"]),
                    ],
                )
                .user(
                    "reader",
                    "read-token",
                    vec![Rule::configmaps(["get", "list"])],
                ),
        )
        .unwrap();
        let ca = reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap();
        let client = Client::builder().add_root_certificate(ca).build().unwrap();
        Self { server, client }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    fn req(&self, method: reqwest::Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    fn send(&self, builder: RequestBuilder) -> (u16, Value) {
        let response = builder.send().unwrap();
        let code = response.status().as_u16();
        let body = response.text().unwrap();
        (
            code,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

#[test]
fn unknown_tokens_get_401_and_anonymous_gets_403() {
    let fake = Fake::start();
    let (code, body) = fake.send(fake.req(reqwest::Method::GET, CMS, "wrong"));
    assert_eq!(code, 401);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
    );
    let (code, body) = fake.send(fake.client.get(fake.url("/api")));
    assert_eq!(code, 403);
    assert_eq!(
        body["message"],
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
    // /version is public, as on a real cluster.
    let (code, body) = fake.send(fake.client.get(fake.url("/version")));
    assert_eq!(code, 200);
    assert_eq!(body["major"], "1");
}

#[test]
fn resource_names_allow_named_writes_but_never_a_post() {
    let fake = Fake::start();
    // POST carries no name in its URL: a resourceNames rule cannot allow it (as in RBAC).
    let (code, body) = fake.send(
        fake.req(reqwest::Method::POST, CMS, "push-token")
            .json(&cm("live", json!({}))),
    );
    assert_eq!(code, 403);
    assert_eq!(
        body["message"],
        "configmaps is forbidden: User \"pusher\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\""
    );
    // Apply by name creates it (patch + create on that name).
    let apply = |name: &str| {
        fake.req(
            reqwest::Method::PATCH,
            &format!("{CMS}/{name}?fieldManager=ci"),
            "push-token",
        )
        .header("Content-Type", "application/apply-patch+yaml")
        .body(cm(name, json!({"k": "v"})).to_string())
    };
    let (code, body) = fake.send(apply("live"));
    assert_eq!(code, 201, "{body}");
    let (code, body) = fake.send(apply("other"));
    assert_eq!(code, 403);
    assert_eq!(
        body["details"],
        json!({"name": "other", "kind": "configmaps"})
    );
    // A reader can read but not write.
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, &format!("{CMS}/live"), "read-token"));
    assert_eq!(code, 200);
    let (code, body) = fake.send(fake.req(
        reqwest::Method::DELETE,
        &format!("{CMS}/live"),
        "read-token",
    ));
    assert_eq!(code, 403);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot delete resource"),
        "{body}"
    );
}

#[test]
fn resource_names_allow_a_list_or_watch_pinned_to_that_name_by_a_field_selector() {
    // The real server reads `metadata.name=X` of a list or watch as the request's name, so the
    // chart's watch Role (get/list/watch limited to `<fullname>-live`) is enough for a server
    // that watches that one ConfigMap by name, and for nothing else.
    let fake = Fake::start();
    let get = |query: &str| {
        fake.send(fake.req(
            reqwest::Method::GET,
            &format!("{CMS}{query}"),
            "watch-token",
        ))
    };
    let (code, body) = get("?fieldSelector=metadata.name%3Dlive");
    assert_eq!(code, 200, "{body}");
    let (code, _) = get("?fieldSelector=metadata.name%3D%3Dlive&watch=true&timeoutSeconds=1");
    assert_eq!(code, 200);
    for denied in [
        "",
        "?fieldSelector=metadata.name%3Dother",
        "?fieldSelector=metadata.name!%3Dlive",
        "?watch=true",
    ] {
        let (code, body) = get(denied);
        assert_eq!(code, 403, "{denied}: {body}");
    }
}

#[test]
fn crud_with_resource_versions() {
    let fake = Fake::start();
    let (code, created) = fake.send(
        fake.req(
            reqwest::Method::POST,
            &format!("{CMS}?fieldManager=tester"),
            ADMIN_TOKEN,
        )
        .json(&cm("a", json!({"x": "1"}))),
    );
    assert_eq!(code, 201);
    assert_eq!(
        created["metadata"]["managedFields"][0]["operation"],
        "Update"
    );
    let (code, body) = fake.send(
        fake.req(reqwest::Method::POST, CMS, ADMIN_TOKEN)
            .json(&cm("a", json!({}))),
    );
    assert_eq!(
        (code, body["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    assert_eq!(body["message"], "configmaps \"a\" already exists");

    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut update = cm("a", json!({"x": "2"}));
    update["metadata"]["resourceVersion"] = rv.clone().into();
    let (code, updated) = fake.send(
        fake.req(reqwest::Method::PUT, &format!("{CMS}/a"), ADMIN_TOKEN)
            .json(&update),
    );
    assert_eq!(code, 200);
    assert_ne!(
        updated["metadata"]["resourceVersion"].as_str(),
        Some(rv.as_str())
    );
    // The same resourceVersion again is stale.
    let (code, body) = fake.send(
        fake.req(reqwest::Method::PUT, &format!("{CMS}/a"), ADMIN_TOKEN)
            .json(&update),
    );
    assert_eq!(code, 409);
    assert_eq!(
        body["message"],
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"
    );

    let (code, list) = fake.send(fake.req(reqwest::Method::GET, CMS, ADMIN_TOKEN));
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["items"][0]["data"]["x"], "2");

    let (code, body) =
        fake.send(fake.req(reqwest::Method::DELETE, &format!("{CMS}/a"), ADMIN_TOKEN));
    assert_eq!((code, body["status"].as_str()), (200, Some("Success")));
    let (code, body) = fake.send(fake.req(reqwest::Method::GET, &format!("{CMS}/a"), ADMIN_TOKEN));
    assert_eq!(code, 404);
    assert_eq!(body["message"], "configmaps \"a\" not found");
}

#[test]
fn the_three_patch_types_and_bad_content_types() {
    let fake = Fake::start();
    fake.send(
        fake.req(reqwest::Method::POST, CMS, ADMIN_TOKEN)
            .json(&cm("p", json!({"a": "1", "b": "2"}))),
    );
    let patch = |content_type: &str, body: Value| {
        fake.send(
            fake.req(reqwest::Method::PATCH, &format!("{CMS}/p"), ADMIN_TOKEN)
                .header("Content-Type", content_type)
                .body(body.to_string()),
        )
    };
    let (code, body) = patch(
        "application/merge-patch+json",
        json!({"data": {"a": null, "c": "3"}}),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"], json!({"b": "2", "c": "3"}));
    let (code, body) = patch(
        "application/strategic-merge-patch+json",
        json!({"data": {"d": "4"}}),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"], json!({"b": "2", "c": "3", "d": "4"}));
    let (code, body) = patch(
        "application/json-patch+json",
        json!([{"op": "remove", "path": "/data/b"}]),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"], json!({"c": "3", "d": "4"}));
    let (code, body) = patch("text/plain", json!({}));
    assert_eq!(
        (code, body["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    // Apply needs a field manager.
    let (code, body) = patch("application/apply-patch+yaml", cm("p", json!({"e": "5"})));
    assert_eq!(code, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("fieldManager: Required value"),
        "{body}"
    );
}

#[test]
fn dry_run_strict_validation_and_limits() {
    let fake = Fake::start();
    let (code, body) = fake.send(
        fake.req(
            reqwest::Method::POST,
            &format!("{CMS}?dryRun=All"),
            ADMIN_TOKEN,
        )
        .json(&cm("d", json!({"a": "1"}))),
    );
    assert_eq!(code, 201);
    assert_eq!(body["data"]["a"], "1");
    assert!(fake.server.configmap("default", "d").is_none());

    let mut unknown = cm("s", json!({}));
    unknown["spec"] = json!({});
    let (code, body) = fake.send(
        fake.req(
            reqwest::Method::POST,
            &format!("{CMS}?fieldValidation=Strict"),
            ADMIN_TOKEN,
        )
        .json(&unknown),
    );
    assert_eq!(code, 400);
    assert_eq!(
        body["message"],
        "strict decoding error: unknown field \"spec\""
    );

    let (code, body) = fake.send(
        fake.req(reqwest::Method::POST, CMS, ADMIN_TOKEN)
            .json(&cm("k", json!({"no/slash": "x"}))),
    );
    assert_eq!((code, body["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(body["details"]["causes"][0]["field"], "data[no/slash]");

    let (code, body) = fake.send(
        fake.req(reqwest::Method::POST, CMS, ADMIN_TOKEN)
            .json(&cm("big", json!({"a": "x".repeat(1024 * 1024 + 1)}))),
    );
    assert_eq!(code, 422);
    assert_eq!(
        body["message"],
        "ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes"
    );

    let (code, body) = fake.send(
        fake.req(reqwest::Method::POST, CMS, ADMIN_TOKEN)
            .json(&cm("huge", json!({"a": "x".repeat(3 * 1024 * 1024 + 1)}))),
    );
    assert_eq!(code, 413, "{body}");

    let (code, body) = fake.send(
        fake.req(
            reqwest::Method::POST,
            "/api/v1/namespaces/nope/configmaps",
            ADMIN_TOKEN,
        )
        .json(&cm("n", json!({}))),
    );
    assert_eq!(code, 404);
    assert_eq!(body["message"], "namespaces \"nope\" not found");
}

#[test]
fn discovery_lists_configmaps_and_the_openapi_patch_parameters() {
    let fake = Fake::start();
    let (_, v1) = fake.send(fake.req(reqwest::Method::GET, "/api/v1", ADMIN_TOKEN));
    assert_eq!(v1["resources"][0]["name"], "configmaps");
    let (_, index) = fake.send(fake.req(reqwest::Method::GET, "/openapi/v3", ADMIN_TOKEN));
    let url = index["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, doc) = fake.send(fake.req(reqwest::Method::GET, &url, ADMIN_TOKEN));
    let params: Vec<&str> =
        doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
    assert!(
        params.contains(&"fieldValidation") && params.contains(&"force"),
        "{params:?}"
    );
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, "/apis/apps/v1", ADMIN_TOKEN));
    assert_eq!(code, 404);
}

#[test]
fn injected_faults_come_first() {
    let fake = Fake::start();
    fake.server.fail_next([429, 503]);
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, CMS, ADMIN_TOKEN));
    assert_eq!(code, 429);
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, CMS, ADMIN_TOKEN));
    assert_eq!(code, 503);
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, CMS, ADMIN_TOKEN));
    assert_eq!(code, 200);
    assert_eq!(fake.server.requests().len(), 3);
}

#[test]
fn a_dropped_connection_is_an_error_for_the_client() {
    let fake = Fake::start();
    fake.server.fail_next([fake_apiserver::DROP_CONNECTION]);
    let result = fake
        .req(reqwest::Method::GET, CMS, ADMIN_TOKEN)
        .send()
        .and_then(|r| r.bytes());
    assert!(result.is_err(), "{result:?}");
    let (code, _) = fake.send(fake.req(reqwest::Method::GET, CMS, ADMIN_TOKEN));
    assert_eq!(code, 200);
}
