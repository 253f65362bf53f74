//! AWS Lambda entry point: converts Lambda HTTP events (Function URL, API Gateway, ALB) to plain
//! `http` requests for [`classmates_api::App::handle`] and back.
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
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, service_fn};

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
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        let req = to_http(req, &base, auto_base);
        async move { Ok::<_, Infallible>(from_http(app.handle(req).await)) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::strip_base;

    #[test]
    fn strips_the_public_base_only() {
        assert_eq!(strip_base("/api/events/x", "/api"), "/events/x");
        assert_eq!(strip_base("/events/x", "/api"), "/events/x");
        assert_eq!(strip_base("/apix/events", "/api"), "/apix/events");
        assert_eq!(strip_base("/events/x", ""), "/events/x");
    }
}
