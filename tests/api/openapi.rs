use crate::helpers::*;
use rocket::http::Status;

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let documented = expertpool::web::api::documented_paths();
    for route in app.client.rocket().routes() {
        let path = route.uri.path().to_string();
        let Some(rest) = path.strip_prefix("/api/v1") else {
            continue;
        };
        let openapi_path = rest
            .split('/')
            .map(
                |s| match s.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                    Some(name) => format!("{{{name}}}"),
                    None => s.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        assert!(
            documented
                .iter()
                .any(|(m, p)| m == route.method.as_str() && *p == openapi_path),
            "{} {openapi_path} is not documented",
            route.method
        );
    }
    app.login_admin().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(doc["openapi"], "3.0.3");
}
