"""`kaido alerts`: list alerts and manage silences through a running agent's API."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import click
import httpx2


class _Api:
    def __init__(self, url: str, token_file: Path | None) -> None:
        self.url = url.rstrip("/")
        self.headers = {}
        if token_file is not None:
            self.headers["Authorization"] = f"Bearer {token_file.read_text(encoding='utf-8').strip()}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = httpx2.request(method, self.url + path, json=body, headers=self.headers, timeout=10)
        except httpx2.HTTPError as e:
            raise click.ClickException(
                f"cannot reach the kaido agent at {self.url}: {e}; is `kaido run` serving there?"
            ) from e
        if response.status_code >= 400:
            try:
                detail = response.json()
                message = detail.get("error") or detail.get("detail") or response.text
            except ValueError:
                message = response.text
            raise click.ClickException(f"{method} {path}: {response.status_code}: {message}")
        return response.json()


@click.group()
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="The agent's API.")
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with the bearer token for writes (the agent's api.writeTokenFile).",
)
@click.pass_context
def alerts(ctx: click.Context, url: str, token_file: Path | None) -> None:
    """Alerts and silences of a running agent."""
    ctx.obj = _Api(url, token_file)


@alerts.command("list")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def list_alerts(api: _Api, output: str) -> None:
    """Pending, firing and recently resolved alerts."""
    items = api.call("GET", "/api/v1/alerts")["items"]
    if output == "json":
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no alerts")
    for alert in items:
        labels = alert["labels"]
        muted = " (silenced)" if alert.get("silenced_by") else " (inhibited)" if alert.get("inhibited_by") else ""
        where = labels.get("workload") or labels.get("pod") or labels.get("node") or ""
        click.echo(
            f"{alert['state']:<8} {labels.get('severity', ''):<8} {labels.get('alertname', '')} "
            f"{labels.get('namespace', '')}/{where}{muted}"
        )
        summary = (alert.get("annotations") or {}).get("summary")
        if summary:
            click.echo(f"         {summary}")


@alerts.group()
def silence() -> None:
    """Create, list and expire silences."""


@silence.command("add")
@click.argument("matchers", nargs=-1, required=True)
@click.option("--duration", default="1h", show_default=True, help="How long, e.g. 30m, 2h.")
@click.option("--comment", required=True, help="Why (shown to everyone).")
@click.option("--author", default=None, help="Who  [default: the current user]")
@click.pass_obj
def silence_add(api: _Api, matchers: tuple[str, ...], duration: str, comment: str, author: str | None) -> None:
    """Silence alerts matching every MATCHER, e.g. alertname=high-error-rate namespace=~"chatbot-.*"."""
    body = {
        "matchers": list(matchers),
        "duration": duration,
        "comment": comment,
        "createdBy": author or getpass.getuser(),
    }
    created = api.call("POST", "/api/v1/silences", body)
    click.echo(f"silence {created['id']} until {created['ends_at']}")


@silence.command("list")
@click.option("--expired", is_flag=True, help="Include expired silences.")
@click.pass_obj
def silence_list(api: _Api, expired: bool) -> None:
    """Active and pending silences (and expired ones with --expired)."""
    items = api.call("GET", f"/api/v1/silences?expired={str(expired).lower()}")["items"]
    if not items:
        click.echo("no silences")
    for s in items:
        click.echo(f"{s['id']}  {s['state']:<8} until {s['ends_at']}  by {s['created_by']}: {' '.join(s['matchers'])}")
        if s.get("comment"):
            click.echo(f"    {s['comment']}")


@silence.command("expire")
@click.argument("silence_id")
@click.pass_obj
def silence_expire(api: _Api, silence_id: str) -> None:
    """End a silence now."""
    expired = api.call("DELETE", f"/api/v1/silences/{silence_id}")
    click.echo(f"silence {expired['id']} expired at {expired['ends_at']}")
