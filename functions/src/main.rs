//! AWS Lambda entry point: converts Lambda HTTP events (Function URL, API Gateway, ALB) to plain
//! `http` requests for [`classmates_api::App::handle`] and back, and runs the sync
//! ([`classmates_api::App::scheduled_sync`]) on the EventBridge schedule of `template.yaml`.
//!
//! `lambda_http::run` only takes HTTP events, so the runtime is given a service over raw JSON
//! events: an EventBridge "Scheduled Event" (`source` `aws.events`) runs the sync; anything else
//! is read as an HTTP event and goes through `lambda_http`'s own adapter, the conversion
//! `lambda_http::run` makes.
//!
//! Configuration comes from the environment (see [`classmates_api::Config::from_env`]). Paths
//! arrive as the client sent them; when they start with the path of `PUBLIC_API_URL` (a
//! CloudFront behaviour forwarding `/api/*`, say), that prefix is removed first. Without
//! `PUBLIC_API_URL`, cancellation links point at the address the request came to (the Function
//! URL, from the request context, which the client cannot forge).

use std::convert::Infallible;
use std::net::IpAddr;

use bytes::Bytes;
use classmates_api::{App, ClientIp, Config, PublicBase};
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Adapter, Body, Request, RequestExt, Service, service_fn};
use serde::Deserialize;
use serde_json::Value;

/// The fields of an EventBridge event that tell a schedule's (Amazon's documented payload:
/// `"source": "aws.events"`, `"detail-type": "Scheduled Event"`).
#[derive(Debug, Deserialize)]
struct EventBridgeEvent {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
}

/// Whether `event` is the EventBridge schedule's (and not an HTTP event).
fn is_scheduled(event: &Value) -> bool {
    EventBridgeEvent::deserialize(event)
        .is_ok_and(|e| e.source == "aws.events" && e.detail_type == "Scheduled Event")
}

/// The client's address as API Gateway or the Function URL saw it.
fn source_ip(req: &Request) -> Option<IpAddr> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref(),
        // An ALB passes the client in X-Forwarded-For, which App::handle reads.
        _ => None,
    }?;
    ip.parse().ok()
}

/// `path` without the `base` prefix (`/api/events/x` → `/events/x`), when it has it.
fn strip_base<'a>(path: &'a str, base: &str) -> &'a str {
    if base.is_empty() {
        return path;
    }
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// `https://{domain}` of the Function URL or API the request came through.
fn public_base(req: &Request) -> Option<PublicBase> {
    let domain = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.domain_name.as_deref(),
        RequestContext::ApiGatewayV1(ctx) => ctx.domain_name.as_deref(),
        _ => None,
    }?;
    let valid = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
    valid.then(|| PublicBase(format!("https://{domain}")))
}

/// `auto_base`: no `PUBLIC_API_URL`, the cancellation links use the request's own address.
fn to_http(req: Request, base: &str, auto_base: bool) -> http::Request<Bytes> {
    let client = source_ip(&req);
    let public = if auto_base { public_base(&req) } else { None };
    let (mut parts, body) = req.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        // Any other body the runtime may add later is passed on as bytes.
        #[allow(unreachable_patterns)]
        other => Bytes::copy_from_slice(other.as_ref()),
    };
    let path = strip_base(parts.uri.path(), base);
    if path != parts.uri.path() {
        let path_and_query = match parts.uri.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        };
        if let Ok(uri) = path_and_query.parse() {
            parts.uri = uri;
        }
    }
    if let Some(ip) = client {
        parts.extensions.insert(ClientIp(ip));
    }
    if let Some(public) = public {
        parts.extensions.insert(public);
    }
    http::Request::from_parts(parts, body)
}

fn from_http(response: http::Response<Bytes>) -> http::Response<Body> {
    let (parts, body) = response.into_parts();
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(err) => Body::Binary(err.into_bytes()),
        }
    };
    http::Response::from_parts(parts, body)
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let base = config.base_path().to_owned();
    let auto_base = std::env::var("PUBLIC_API_URL").map_or(true, |v| v.trim().is_empty());
    let app = App::from_config(config).await?;
    let http = {
        let app = app.clone();
        service_fn(move |req: Request| {
            let app = app.clone();
            let req = to_http(req, &base, auto_base);
            async move { Ok::<_, Infallible>(from_http(app.handle(req).await)) }
        })
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = app.clone();
        let mut http = Adapter::from(http.clone());
        async move {
            let LambdaEvent { payload, context } = event;
            if is_scheduled(&payload) {
                let (status, body) = app.scheduled_sync().await;
                tracing::info!(status = status.as_u16(), "scheduled sync");
                return Ok::<Value, lambda_http::Error>(body);
            }
            let request: LambdaRequest = serde_json::from_value(payload)?;
            let response = http.call(LambdaEvent::new(request, context)).await?;
            Ok(serde_json::to_value(response)?)
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::{is_scheduled, strip_base};

    /// Amazon's example of a scheduled event (EventBridge User Guide, « Amazon EventBridge
    /// events »: the event a schedule rule sends).
    const SCHEDULED: &str = r#"{
      "version": "0",
      "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      "source": "aws.events",
      "account": "123456789012",
      "time": "2015-10-08T16:53:06Z",
      "region": "us-east-1",
      "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
      "detail": {}
    }"#;

    #[test]
    fn recognises_the_schedule_and_only_it() {
        assert!(is_scheduled(&serde_json::from_str(SCHEDULED).unwrap()));
        let other = SCHEDULED.replace("Scheduled Event", "EC2 Instance State-change Notification");
        assert!(!is_scheduled(&serde_json::from_str(&other).unwrap()));
        // A Function URL request (payload format 2.0) is no scheduled event, and reads as HTTP.
        let http: serde_json::Value = serde_json::from_str(FUNCTION_URL_REQUEST).unwrap();
        assert!(!is_scheduled(&http));
        let request: lambda_http::request::LambdaRequest = serde_json::from_value(http).unwrap();
        let request: lambda_http::Request = request.into();
        assert_eq!(request.uri().path(), "/announcements/sync");
    }

    /// A Function URL request, as in the Lambda Developer Guide's payload example (trimmed).
    const FUNCTION_URL_REQUEST: &str = r#"{
      "version": "2.0",
      "routeKey": "$default",
      "rawPath": "/announcements/sync",
      "rawQueryString": "",
      "headers": {"host": "abc.lambda-url.us-east-1.on.aws", "content-type": "application/json"},
      "requestContext": {
        "accountId": "123456789012",
        "apiId": "abc",
        "domainName": "abc.lambda-url.us-east-1.on.aws",
        "domainPrefix": "abc",
        "http": {"method": "POST", "path": "/announcements/sync", "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390
      },
      "body": "{}",
      "isBase64Encoded": false
    }"#;

    #[test]
    fn strips_the_public_base_only() {
        assert_eq!(strip_base("/api/events/x", "/api"), "/events/x");
        assert_eq!(strip_base("/events/x", "/api"), "/events/x");
        assert_eq!(strip_base("/apix/events", "/api"), "/apix/events");
        assert_eq!(strip_base("/events/x", ""), "/events/x");
    }
}
