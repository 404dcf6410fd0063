"""The ``tierline`` command: serve, worker, migrate, keys, secrets, import, demo, openapi."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import SecretStr, ValidationError

from app.auth.keys import Scope
from app.settings import Settings
from app.vault import Vault, VaultKeyError, generate_key, key_file

if TYPE_CHECKING:
    from app.errors import TierlineError
    from app.events.import_file import EventFile
    from app.events.import_reader import Reader
    from app.webhooks.encryption import Resealed

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            print(f"tierline: configuration error: {problem['msg']}", file=sys.stderr)
        raise SystemExit(2) from error


def with_secret_key(settings: Settings) -> Settings:
    """``settings`` with the key that encrypts stored webhook secrets: the configured one, or
    in the embedded mode the one kept in the data folder. A configured database may be shared
    by several processes, which must all use one key, so none is made up for it."""
    key = settings.secret_key
    if key is None and settings.database_url:
        print(
            "tierline: configuration error: TIERLINE_SECRET_KEY must be set when "
            "TIERLINE_DATABASE_URL is: every process using the database needs the same key "
            "to encrypt and read webhook signing secrets. Generate one with "
            "`tierline secrets generate`.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    if key is None:
        key = SecretStr(key_file(settings.data_dir))
    try:
        Vault.from_setting(key)
    except VaultKeyError as error:
        print(f"tierline: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    return settings.model_copy(update={"secret_key": key})


async def _reseal_secrets(url: str, settings: Settings, *, rotate: bool) -> Resealed:
    from app.db.engine import create_engine
    from app.webhooks.encryption import reseal

    engine = create_engine(url, pool_size=1)
    try:
        return await reseal(engine, Vault.from_setting(settings.secret_key), rotate=rotate)
    finally:
        await engine.dispose()


def _refuse_unreadable(resealed: Resealed) -> None:
    if resealed.unreadable:
        print(
            f"tierline: {resealed.unreadable} stored webhook signing secrets cannot be decrypted "
            "with any key in TIERLINE_SECRET_KEY: a key was dropped before `tierline secrets "
            "rotate` re-encrypted what it had encrypted, or the key is another installation's. "
            "Put the old key back after the new one.",
            file=sys.stderr,
        )
        raise SystemExit(1)


def encrypt_plain_secrets(url: str, settings: Settings) -> None:
    """The upgrade path of databases from before secrets were encrypted, run at every start:
    plain secrets are encrypted in place; a secret no key reads stops the start."""
    resealed = asyncio.run(_reseal_secrets(url, settings, rotate=False))
    if resealed.changed:
        print(
            f"tierline: encrypted the plain signing secrets of {resealed.changed} webhook "
            "endpoints",
            file=sys.stderr,
        )
    _refuse_unreadable(resealed)


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    if settings.database_url:
        return settings.database_url
    from app.db.embedded import start_embedded

    print(
        f"tierline: no TIERLINE_DATABASE_URL; using the embedded PostgreSQL in "
        f"{settings.data_dir / 'pg'}",
        file=sys.stderr,
    )
    return start_embedded(settings.data_dir / "pg")


async def _bootstrap(url: str, settings: Settings) -> str | None:
    from app.auth import service
    from app.clock import SystemClock
    from app.db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await service.bootstrap(conn, SystemClock().now(), settings.bootstrap_key)
    finally:
        await engine.dispose()


def _show_new_key(new_key: str | None) -> None:
    """The default workspace's first admin key, printed once, when the start created it."""
    if new_key:
        print(
            "\n  Created the default workspace and its admin key (shown only now):\n\n"
            f"    {new_key}\n\n"
            f"  export KEY={new_key}   # as the README's examples use it\n",
            file=sys.stderr,
            flush=True,
        )


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.db.migrate import upgrade
    from app.main import create_app
    from app.observability import configure_logging

    settings = with_secret_key(_settings())
    configure_logging(settings.log_level)
    url = resolve_database_url(settings)
    upgrade(url, require_citus=settings.require_citus)
    encrypt_plain_secrets(url, settings)
    _show_new_key(asyncio.run(_bootstrap(url, settings)))
    app = create_app(settings.model_copy(update={"database_url": url}))
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=30,
    )


async def _work(url: str, settings: Settings) -> None:
    from app.clock import SystemClock
    from app.main import background_loops, create_worker_engine
    from app.observability import Metrics

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    engine = create_worker_engine(url, settings)
    logging.getLogger("tierline.worker").info("worker started")
    try:
        settings = settings.model_copy(update={"database_url": url})
        await asyncio.gather(*background_loops(engine, SystemClock(), settings, Metrics(), stop))
    finally:
        await engine.dispose()


def _stop_during_start_up(signum: int, frame: object) -> None:
    raise SystemExit(0)  # nothing is in flight yet; a migration under way rolls back


def cmd_worker(args: argparse.Namespace) -> None:
    # A stop may come while the worker is still importing or migrating (a quick redeploy):
    # it is a clean stop then too, not a death by signal. _work installs the loop's handler.
    signal.signal(signal.SIGTERM, _stop_during_start_up)
    from app.db.migrate import upgrade
    from app.observability import configure_logging

    settings = with_secret_key(_settings())
    configure_logging(settings.log_level)
    url = resolve_database_url(settings)
    upgrade(url, require_citus=settings.require_citus)
    encrypt_plain_secrets(url, settings)
    asyncio.run(_work(url, settings))


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.db.migrate import upgrade

    settings = with_secret_key(_settings())
    url = resolve_database_url(settings)
    upgrade(url, args.revision, require_citus=settings.require_citus)
    print(f"tierline: database migrated to {args.revision}", file=sys.stderr)
    if args.revision == "head":
        encrypt_plain_secrets(url, settings)


def cmd_secrets_generate(args: argparse.Namespace) -> None:
    print(generate_key())


def cmd_secrets_rotate(args: argparse.Namespace) -> None:
    from app.db.migrate import upgrade

    settings = with_secret_key(_settings())
    url = resolve_database_url(settings)
    upgrade(url, require_citus=settings.require_citus)
    resealed = asyncio.run(_reseal_secrets(url, settings, rotate=True))
    print(
        f"tierline: re-encrypted the signing secrets of {resealed.changed} webhook endpoints "
        "with the first key of TIERLINE_SECRET_KEY",
        file=sys.stderr,
    )
    _refuse_unreadable(resealed)


async def _create_key(url: str, workspace: str, name: str, scopes: list[str]) -> str:
    from app.auth import service
    from app.clock import SystemClock
    from app.db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            row = await service.resolve_workspace(conn, workspace)
            _, secret = await service.create_key(conn, row.id, name, scopes, SystemClock().now())
            return secret
    finally:
        await engine.dispose()


def cmd_keys_create(args: argparse.Namespace) -> None:
    from app.db.migrate import upgrade
    from app.errors import TierlineError

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    known = {scope.value for scope in Scope}
    unknown = [s for s in scopes if s not in known]
    if unknown or not scopes:
        print(f"tierline: unknown scopes {unknown}; choose from {sorted(known)}", file=sys.stderr)
        raise SystemExit(2)
    settings = _settings()
    url = resolve_database_url(settings)
    upgrade(url, require_citus=settings.require_citus)
    try:
        secret = asyncio.run(_create_key(url, args.workspace, args.name, scopes))
    except TierlineError as error:
        print(f"tierline: {error.detail}", file=sys.stderr)
        raise SystemExit(1) from error
    print(secret)


def _fail_import(*sentences: str) -> NoReturn:
    message = " ".join(sentence.rstrip(".") + "." for sentence in sentences)
    print(f"tierline import: {message}", file=sys.stderr)
    raise SystemExit(1)


def cmd_import(args: argparse.Namespace) -> None:
    from app.events.import_file import EventFile, ImportFileError
    from app.events.import_reader import CHUNK_SIZE, Reader

    settings = _settings()
    try:
        source = EventFile(Path(args.file))
    except ImportFileError as error:
        _fail_import(str(error), "Nothing was imported")
    # The file's reading process starts first: it reads ahead while this one imports the rest
    # of the application and checks the migrations.
    reader = Reader(source, _problem, chunk_size=args.chunk_size or CHUNK_SIZE)
    try:
        _import(args, settings, source, reader)
    finally:
        reader.close()


def _problem(error: TierlineError) -> dict[str, Any]:
    """A rejected row's problem, in the API's words (imported when a row needs it)."""
    from app.api.problems import error_problem

    return error_problem(error)


def _import(
    args: argparse.Namespace, settings: Settings, source: EventFile, reader: Reader
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from app.clock import SystemClock
    from app.db.engine import Timeouts
    from app.db.migrate import upgrade
    from app.events.importer import ImportFailed, import_events

    url = resolve_database_url(settings)
    try:
        upgrade(url, require_citus=settings.require_citus)
    except (OSError, SQLAlchemyError) as error:
        _fail_import(f"cannot reach the database: {error}", "Nothing was imported")
    try:
        summary = asyncio.run(
            import_events(
                url,
                args.workspace,
                source,
                SystemClock(),
                _problem,
                notify=args.notify,
                history=not args.no_history,
                timeouts=Timeouts(
                    statement=settings.import_statement_timeout,
                    lock=settings.job_lock_timeout,
                    idle_in_transaction=settings.job_idle_in_transaction_timeout,
                ),
                reader=reader,
            )
        )
    except ImportFailed as error:
        done = error.summary
        if done is None or not done.rows:
            _fail_import(str(error), "Nothing was imported")
        _fail_import(
            str(error),
            f"Before that: {done.describe()}; those rows are kept, and running the same "
            "command again resumes (stored rows count as duplicates)",
        )
    except KeyboardInterrupt:
        print(
            "tierline import: interrupted; the chunks committed so far are kept, and running "
            "the same command again resumes (stored rows count as duplicates).",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    print(f"{source.path}: {summary.describe()}")
    if summary.rejected_path is not None:
        print(f"rejected rows and their reasons: {summary.rejected_path}")


def _chunk_size(value: str) -> int:
    size = int(value)
    if not 1 <= size <= 50_000:
        raise argparse.ArgumentTypeError("must be between 1 and 50000")
    return size


async def _demo(url: str, settings: Settings, args: argparse.Namespace) -> None:
    from app import demo
    from app.auth import service
    from app.clock import SystemClock
    from app.db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            workspace = await service.resolve_workspace(conn, args.workspace)
            row, secret = await service.create_key(
                conn, workspace.id, "demo", ["admin"], SystemClock().now()
            )
        try:
            await demo.run(
                settings.model_copy(update={"database_url": url}),
                secret,
                args.customers,
                lambda text: print(f"tierline demo: {text}", file=sys.stderr, flush=True),
            )
        finally:
            async with engine.begin() as conn:
                await service.revoke_key(conn, workspace.id, row.id, SystemClock().now())
    finally:
        await engine.dispose()


def cmd_demo(args: argparse.Namespace) -> None:
    from app import demo
    from app.db.migrate import upgrade
    from app.errors import TierlineError

    settings = with_secret_key(_settings())
    url = resolve_database_url(settings)
    upgrade(url, require_citus=settings.require_citus)
    encrypt_plain_secrets(url, settings)
    _show_new_key(asyncio.run(_bootstrap(url, settings)))
    try:
        asyncio.run(_demo(url, settings, args))
    except (TierlineError, demo.DemoFailed) as error:
        print(f"tierline demo: {error}", file=sys.stderr)
        raise SystemExit(1) from error


def _customers(value: str) -> int:
    count = int(value)
    if not 1 <= count <= 100_000:
        raise argparse.ArgumentTypeError("must be between 1 and 100000")
    return count


def cmd_openapi(args: argparse.Namespace) -> None:
    from app.main import create_app

    settings = Settings(database_url="postgresql://unused/unused")
    document = create_app(settings).openapi()
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"tierline: wrote {args.output}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tierline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", help="default TIERLINE_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default TIERLINE_PORT or 8000")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run background jobs and the review scheduler, without the API",
        description="Runs what `serve` runs beside the API (metric backfills, reclassification "
        "jobs, the review scheduler, webhook delivery; those TIERLINE_BACKGROUND_WORK names) "
        "until SIGINT or SIGTERM. Any number may run at once; set "
        "TIERLINE_BACKGROUND_WORKERS=false on the API processes to leave the work to them.",
    )
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it")
    create.add_argument("--workspace", default="default", help="workspace slug or id")
    create.add_argument("--scopes", required=True, help="comma-separated, e.g. events:write")
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_keys_create)

    secret_keys = sub.add_parser("secrets", help="the key that encrypts webhook signing secrets")
    keys_of_secrets = secret_keys.add_subparsers(dest="secrets_command", required=True)
    generate = keys_of_secrets.add_parser(
        "generate", help="print a new key for TIERLINE_SECRET_KEY"
    )
    generate.set_defaults(func=cmd_secrets_generate)
    rotate = keys_of_secrets.add_parser(
        "rotate",
        help="re-encrypt every stored secret with the first key of TIERLINE_SECRET_KEY",
        description="After a new key is put first in TIERLINE_SECRET_KEY (the old ones kept "
        "after it), re-encrypts every webhook signing secret with it, in batches; the old keys "
        "may then be dropped. Running it again changes nothing.",
    )
    rotate.set_defaults(func=cmd_secrets_rotate)

    load = sub.add_parser(
        "import",
        help="import events from an NDJSON or CSV file (optionally gzipped)",
        description="Loads events from FILE (NDJSON, or CSV with a header row; gzipped or "
        "not, told from the content) through the bulk backfill path, one transaction per "
        "chunk. Re-running resumes: stored events count as duplicates. Rejected rows and "
        "their reasons go to FILE.rejected.ndjson.",
    )
    load.add_argument("file", metavar="FILE")
    load.add_argument("--workspace", default="default", help="workspace slug or id")
    load.add_argument(
        "--chunk-size", type=_chunk_size, help="events per transaction (default 5,000)"
    )
    load.add_argument(
        "--notify",
        action="store_true",
        help="send webhooks for each customer's net change (none exist yet)",
    )
    load.add_argument(
        "--no-history",
        action="store_true",
        help="classify each customer once, as of now, without rebuilding its past tier and "
        "segment moves (faster; analytics then start at the import)",
    )
    load.set_defaults(func=cmd_import)

    demo = sub.add_parser(
        "demo",
        help="load a sample workspace: two years of history, schemes, a segment, a CLV model",
        description="Generates two years of orders, refunds, visits and surveys for made-up "
        "customers (deterministic, relative to today), loads them, installs the value, RFM "
        "and lifecycle templates and the segment big-spenders, refreshes the RFM scores and "
        "fits a CLV model; the last 30 days arrive as live events, so customers move between "
        "tiers. Running it again adds nothing new. Then `tierline serve` and open /console.",
    )
    demo.add_argument("--workspace", default="default", help="workspace slug or id")
    demo.add_argument(
        "--customers", type=_customers, default=2000, help="how many customers (default 2,000)"
    )
    demo.set_defaults(func=cmd_demo)

    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default=str(OPENAPI_PATH), help="file, or - for stdout")
    openapi.set_defaults(func=cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
