//! `drr-margin`: the keeper's command-line entry point. Reads the same JSON as the JS API and prints
//! the same results, so it doubles as the parity oracle for the WebAssembly build.
//!
//! Errors go to stderr as `{"error":{"code","field","message"}}` with exit status 2.

#[cfg(target_arch = "wasm32")]
fn main() {
    // The CLI is native only; on wasm32 the library is used through the npm package.
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Parser, Subcommand};
    use drr_margin::engine::{self, EngineParams, MarginEngine};
    use drr_margin::liquidation::{self, LiquidationOptions};
    use drr_margin::margin::{self, profiles};
    use drr_margin::market::decode::market_spec;
    use drr_margin::market::MarketSpec;
    use drr_margin::portfolio::decode::{account_spec, instrument_spec};
    use drr_margin::portfolio::AccountSpec;
    use drr_margin::pricing::{implied_vol_request, price_request};
    use drr_margin::{json, Error};
    use std::io::Read;
    use std::process::ExitCode;

    #[derive(Parser)]
    #[command(
        name = "drr-margin",
        version,
        about = "Dynamic Risk Recalibration margin engine"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Price one option (Black-76) and print its value and Greeks as JSON.
        Price {
            /// The request as JSON, e.g. '{"kind":"call","forward":100000,"strike":110000,"t":0.1,"vol":0.6}';
            /// "-" reads it from stdin.
            #[arg(long)]
            json: String,
        },
        /// Implied volatility of one option price; prints the decimal volatility.
        ImpliedVol {
            /// The request as JSON, e.g. '{"kind":"call","price":3900,"forward":100000,"strike":110000,"t":0.1}';
            /// "-" reads it from stdin.
            #[arg(long)]
            json: String,
        },
        /// Margin report of an account against a market (JSON files; "-" reads stdin).
        Margin {
            /// Market snapshot JSON file.
            #[arg(long)]
            market: String,
            /// Account JSON file.
            #[arg(long)]
            account: String,
            /// Parameter profile (see `drr-margin profiles`); default `drr`.
            #[arg(long)]
            profile: Option<String>,
            /// Parameter overrides JSON file, merged into the profile.
            #[arg(long)]
            params: Option<String>,
        },
        /// Replay an NDJSON event stream through the engine and print every update as NDJSON.
        Replay {
            /// NDJSON file of engine events ("-" reads stdin); a session starts with
            /// `setMarket` and `upsertAccount` lines.
            #[arg(long)]
            events: String,
            /// Parameter profile; default `drr`.
            #[arg(long)]
            profile: Option<String>,
            /// Parameter overrides JSON file (may hold an `engine` member: thresholds, levels).
            #[arg(long)]
            params: Option<String>,
        },
        /// Liquidation and bankruptcy prices per underlying (and per isolated position).
        Liquidation {
            #[command(flatten)]
            inputs: Inputs,
        },
        /// Two-stage liquidation trigger: the linearised health check, confirmed in full if flagged.
        LiquidationCheck {
            #[command(flatten)]
            inputs: Inputs,
        },
        /// The account before and after an order fills (IM, MM, free collateral, liquidation prices).
        WhatIf {
            #[command(flatten)]
            inputs: Inputs,
            /// Order JSON file: {instrument, size, side?, price?, isolatedMargin?}.
            #[arg(long)]
            order: String,
        },
        /// Largest order size keeping free collateral ≥ 0 (multiple of options.sizeIncrement, rounded down).
        MaxSize {
            #[command(flatten)]
            inputs: Inputs,
            /// Instrument id, e.g. BTC_USDC-PERPETUAL.
            #[arg(long)]
            instrument: String,
            /// buy or sell.
            #[arg(long)]
            side: String,
        },
        /// List the parameter profiles.
        Profiles,
        /// Print the full parameters of a profile.
        DefaultParams {
            /// Profile name.
            profile: String,
        },
        /// Evaluate many calls from NDJSON on stdin, one `{"fn": NAME, "args": [...]}` per line, with
        /// the npm functions' names and positional arguments (`margin`, `liquidationPrices`,
        /// `liquidationCheck`, `whatIf`, `maxSize`, `price`, `impliedVol`);
        /// prints one line each: `{"ok": RESULT}` or `{"error": {code, field, message}}`.
        /// The parity corpus of `npm test` runs through this.
        Batch,
        /// Print the digest of the native↔wasm parity corpus (see `drr_margin::parity`).
        Parity {
            /// Number of corpus rows.
            #[arg(long, default_value_t = 1_000_000)]
            count: u32,
        },
    }

    /// Market, account, parameters and liquidation options, shared by the liquidation commands.
    #[derive(clap::Args)]
    struct Inputs {
        /// Market snapshot JSON file.
        #[arg(long)]
        market: String,
        /// Account JSON file ("-" reads stdin).
        #[arg(long)]
        account: String,
        /// Parameter profile (see `drr-margin profiles`); default `drr`.
        #[arg(long)]
        profile: Option<String>,
        /// Parameter overrides JSON file, merged into the profile.
        #[arg(long)]
        params: Option<String>,
        /// Liquidation options JSON file (sticky rule, validity range, safety, whatIfPrices, sizeIncrement).
        #[arg(long)]
        options: Option<String>,
    }

    type Loaded = (
        MarketSpec,
        AccountSpec,
        drr_margin::margin::RiskParams,
        LiquidationOptions,
    );

    fn load(inputs: Inputs) -> Result<Loaded, Error> {
        let market = read_decoded(&inputs.market, "market", market_spec)?;
        let account = read_decoded(&inputs.account, "account", account_spec)?;
        let params = profiles::resolve(Some(params_input(inputs.profile, inputs.params)?))?;
        let options: LiquidationOptions = match inputs.options {
            Some(path) => read_decoded(&path, "options", json::liquidation::liquidation_options)?,
            None => LiquidationOptions::default(),
        };
        Ok((market, account, params, options))
    }

    fn read_file(path: &str, field: &str) -> Result<String, Error> {
        if path == "-" {
            return read_arg("-");
        }
        std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(field, format!("cannot read {path}: {e}")))
    }

    fn read_arg(value: &str) -> Result<String, Error> {
        if value == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::invalid("json", format!("cannot read stdin: {e}")))?;
            Ok(text)
        } else {
            Ok(value.to_string())
        }
    }

    /// Decodes the JSON file at `path` ("-": stdin), errors prefixed with `field`.
    fn read_json<T: serde::de::DeserializeOwned>(path: &str, field: &str) -> Result<T, Error> {
        json::from_str(&read_file(path, field)?).map_err(|e| e.within(field))
    }

    /// Decodes the JSON file at `path` ("-": stdin) with a hand-written decoder, errors under
    /// `field`.
    fn read_decoded<T>(
        path: &str,
        field: &str,
        decode: fn(&json::tree::Value<'_>, &json::Path<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        json::decode_str(&read_file(path, field)?, field, decode)
    }

    /// The parameter overrides of `--params FILE`, with `--profile NAME` as their profile.
    fn params_input(
        profile: Option<String>,
        params: Option<String>,
    ) -> Result<serde_json::Value, Error> {
        let mut overrides = match params {
            Some(path) => read_json(&path, "params")?,
            None => serde_json::json!({}),
        };
        if let (Some(name), Some(object)) = (profile, overrides.as_object_mut()) {
            object.insert("profile".into(), serde_json::Value::String(name));
        }
        Ok(overrides)
    }

    fn replay(
        events: &str,
        profile: Option<String>,
        params: Option<String>,
    ) -> Result<String, Error> {
        use std::io::Write;
        let params = EngineParams::resolve(Some(params_input(profile, params)?))?;
        let mut engine = MarginEngine::new(params);
        let text = read_file(events, "events")?;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        engine::replay(&mut engine, &text, |update| {
            let line = json::write::to_string(update)?;
            writeln!(out, "{line}").map_err(stdout_failure)
        })?;
        out.flush().map_err(stdout_failure)?;
        Ok(String::new())
    }

    fn run(cli: Cli) -> Result<String, Error> {
        match cli.command {
            Command::Price { json: arg } => {
                let request = json::decode_str(&read_arg(&arg)?, "", price_request)?;
                let result = request.evaluate()?;
                json::write::to_string(&result)
            }
            Command::ImpliedVol { json: arg } => {
                let request = json::decode_str(&read_arg(&arg)?, "", implied_vol_request)?;
                let vol = request.evaluate()?;
                json::write::to_string(&vol)
            }
            Command::Margin {
                market,
                account,
                profile,
                params,
            } => {
                let market = read_decoded(&market, "market", market_spec)?;
                let account = read_decoded(&account, "account", account_spec)?;
                let params = profiles::resolve(Some(params_input(profile, params)?))?;
                let report = margin::margin(&market, &account, &params)?;
                json::write::to_string(&report)
            }
            Command::Replay {
                events,
                profile,
                params,
            } => replay(&events, profile, params),
            Command::Liquidation { inputs } => {
                let (market, account, params, options) = load(inputs)?;
                let report = liquidation::liquidation_prices(&market, &account, &params, &options)?;
                json::write::to_string(&report)
            }
            Command::LiquidationCheck { inputs } => {
                let (market, account, params, options) = load(inputs)?;
                let check = liquidation::liquidation_check(&market, &account, &params, &options)?;
                json::write::to_string(&check)
            }
            Command::WhatIf { inputs, order } => {
                let (market, account, params, options) = load(inputs)?;
                let order = read_decoded(&order, "order", json::liquidation::order)?;
                let result = liquidation::what_if(&market, &account, &order, &params, &options)?;
                json::write::to_string(&result)
            }
            Command::MaxSize {
                inputs,
                instrument,
                side,
            } => {
                let (market, account, params, options) = load(inputs)?;
                let side = json::liquidation::side(
                    &json::tree::Value::String(side.into()),
                    &json::Path::Root("side"),
                )?;
                let instrument = drr_margin::portfolio::InstrumentSpec::Id(instrument);
                let result =
                    liquidation::max_size(&market, &account, &instrument, side, &params, &options)?;
                json::write::to_string(&result)
            }
            Command::Profiles => json::write::to_string(&profiles::profiles()),
            Command::DefaultParams { profile } => {
                json::write::to_string(&profiles::profile(&profile)?)
            }
            Command::Parity { count } => Ok(drr_margin::parity::corpus_digest(count)),
            Command::Batch => batch(),
        }
    }

    /// One argument decoded exactly as the JS binding decodes it (the same hand-written
    /// decoder, errors under `name`).
    fn argument<T>(
        args: &[serde_json::Value],
        index: usize,
        name: &str,
        decode: fn(&json::tree::Value<'_>, &json::Path<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        json::decode_value(
            args.get(index).unwrap_or(&serde_json::Value::Null),
            name,
            decode,
        )
    }

    /// The optional `params` argument as `margin(market, account, params?)` reads it.
    fn params_argument(
        args: &[serde_json::Value],
        index: usize,
    ) -> Result<margin::RiskParams, Error> {
        match args.get(index) {
            None | Some(serde_json::Value::Null) => profiles::resolve(None),
            Some(value) => profiles::resolve(Some(value.clone())),
        }
    }

    /// The optional liquidation `options` argument (default options when absent or null).
    fn options_argument(
        args: &[serde_json::Value],
        index: usize,
    ) -> Result<LiquidationOptions, Error> {
        match args.get(index) {
            None | Some(serde_json::Value::Null) => Ok(LiquidationOptions::default()),
            Some(_) => argument(
                args,
                index,
                "options",
                json::liquidation::liquidation_options,
            ),
        }
    }

    /// One NDJSON call of `drr-margin batch`.
    fn call(line: &str) -> Result<String, Error> {
        let request: serde_json::Value = json::from_str(line)?;
        let name = request.get("fn").and_then(|f| f.as_str()).unwrap_or("");
        let args = request
            .get("args")
            .and_then(|a| a.as_array())
            .cloned()
            .unwrap_or_default();
        // serde_json's own writer here (the rest of the CLI and the JS binding use
        // `json::write`): the parity corpus in `npm test` runs 10⁴ random requests through this
        // and through the npm package, so it also checks that `json::write` writes serde_json's
        // bytes.
        let text = match name {
            "margin" => {
                let market = argument(&args, 0, "market", market_spec)?;
                let account = argument(&args, 1, "account", account_spec)?;
                let params = params_argument(&args, 2)?;
                serde_json::to_string(&margin::margin(&market, &account, &params)?)
            }
            "liquidationPrices" | "liquidationCheck" => {
                let market = argument(&args, 0, "market", market_spec)?;
                let account = argument(&args, 1, "account", account_spec)?;
                let params = params_argument(&args, 2)?;
                let options = options_argument(&args, 3)?;
                if name == "liquidationPrices" {
                    serde_json::to_string(&liquidation::liquidation_prices(
                        &market, &account, &params, &options,
                    )?)
                } else {
                    serde_json::to_string(&liquidation::liquidation_check(
                        &market, &account, &params, &options,
                    )?)
                }
            }
            "whatIf" => {
                let market = argument(&args, 0, "market", market_spec)?;
                let account = argument(&args, 1, "account", account_spec)?;
                let order = argument(&args, 2, "order", json::liquidation::order)?;
                let params = params_argument(&args, 3)?;
                let options = options_argument(&args, 4)?;
                serde_json::to_string(&liquidation::what_if(
                    &market, &account, &order, &params, &options,
                )?)
            }
            "maxSize" => {
                let market = argument(&args, 0, "market", market_spec)?;
                let account = argument(&args, 1, "account", account_spec)?;
                let instrument = argument(&args, 2, "instrument", instrument_spec)?;
                let side = argument(&args, 3, "side", json::liquidation::side)?;
                let params = params_argument(&args, 4)?;
                let options = options_argument(&args, 5)?;
                serde_json::to_string(&liquidation::max_size(
                    &market, &account, &instrument, side, &params, &options,
                )?)
            }
            "price" => serde_json::to_string(&argument(&args, 0, "", price_request)?.evaluate()?),
            "impliedVol" => {
                serde_json::to_string(&argument(&args, 0, "", implied_vol_request)?.evaluate()?)
            }
            other => {
                return Err(Error::invalid(
                    "fn",
                    format!("unknown function {other:?} (margin, liquidationPrices, liquidationCheck, whatIf, maxSize, price, impliedVol)"),
                ))
            }
        };
        text.map_err(|e| Error::invalid("", e))
    }

    /// `drr-margin batch`: every stdin line through [`call`], one output line each.
    fn batch() -> Result<String, Error> {
        use std::io::{BufRead, Write};
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| Error::invalid("", format!("cannot read stdin: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let written = match call(&line) {
                Ok(result) => writeln!(out, "{{\"ok\":{result}}}"),
                Err(err) => writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "error": { "code": err.code(), "field": err.field(), "message": err.to_string() }
                    })
                ),
            };
            written.map_err(stdout_failure)?;
        }
        out.flush().map_err(stdout_failure)?;
        Ok(String::new())
    }

    /// A failed write to stdout: the coded error, except when the reader went away
    /// (`drr-margin replay … | head`), where the process ends quietly with success, as a
    /// filter killed by `SIGPIPE` would, instead of reporting (or panicking on) the closed pipe.
    fn stdout_failure(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        Error::invalid("", format!("cannot write stdout: {e}"))
    }

    pub fn main() -> ExitCode {
        use std::io::Write;
        let result = run(Cli::parse()).and_then(|out| {
            if out.is_empty() {
                return Ok(());
            }
            writeln!(std::io::stdout().lock(), "{out}").map_err(stdout_failure)
        });
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                let body = serde_json::json!({
                    "error": { "code": err.code(), "field": err.field(), "message": err.to_string() }
                });
                // Not `eprintln!`, which panics when stderr is closed.
                let _ = writeln!(std::io::stderr().lock(), "{body}");
                ExitCode::from(2)
            }
        }
    }
}
