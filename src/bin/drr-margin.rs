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
    use drr_margin::liquidation::{self, LiquidationOptions};
    use drr_margin::margin::{self, profiles};
    use drr_margin::market::MarketSpec;
    use drr_margin::portfolio::AccountSpec;
    use drr_margin::pricing::{ImpliedVolRequest, PriceRequest};
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
        let market: MarketSpec = json::from_str(&read_file(&inputs.market, "market")?)
            .map_err(|e| e.within("market"))?;
        let account: AccountSpec = json::from_str(&read_file(&inputs.account, "account")?)
            .map_err(|e| e.within("account"))?;
        let mut overrides = match inputs.params {
            Some(path) => json::from_str::<serde_json::Value>(&read_file(&path, "params")?)
                .map_err(|e| e.within("params"))?,
            None => serde_json::json!({}),
        };
        if let (Some(name), Some(object)) = (inputs.profile, overrides.as_object_mut()) {
            object.insert("profile".into(), serde_json::Value::String(name));
        }
        let params = profiles::resolve(Some(overrides))?;
        let options: LiquidationOptions = match inputs.options {
            Some(path) => {
                json::from_str(&read_file(&path, "options")?).map_err(|e| e.within("options"))?
            }
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

    fn run(cli: Cli) -> Result<String, Error> {
        match cli.command {
            Command::Price { json: arg } => {
                let request: PriceRequest = json::from_str(&read_arg(&arg)?)?;
                let result = request.evaluate()?;
                serde_json::to_string(&result).map_err(|e| Error::invalid("", e))
            }
            Command::ImpliedVol { json: arg } => {
                let request: ImpliedVolRequest = json::from_str(&read_arg(&arg)?)?;
                let vol = request.evaluate()?;
                serde_json::to_string(&vol).map_err(|e| Error::invalid("", e))
            }
            Command::Margin {
                market,
                account,
                profile,
                params,
            } => {
                let market: MarketSpec = json::from_str(&read_file(&market, "market")?)
                    .map_err(|e| e.within("market"))?;
                let account: AccountSpec = json::from_str(&read_file(&account, "account")?)
                    .map_err(|e| e.within("account"))?;
                let mut overrides = match params {
                    Some(path) => json::from_str::<serde_json::Value>(&read_file(&path, "params")?)
                        .map_err(|e| e.within("params"))?,
                    None => serde_json::json!({}),
                };
                if let (Some(name), Some(object)) = (profile, overrides.as_object_mut()) {
                    object.insert("profile".into(), serde_json::Value::String(name));
                }
                let params = profiles::resolve(Some(overrides))?;
                let report = margin::margin(&market, &account, &params)?;
                serde_json::to_string(&report).map_err(|e| Error::invalid("", e))
            }
            Command::Liquidation { inputs } => {
                let (market, account, params, options) = load(inputs)?;
                let report = liquidation::liquidation_prices(&market, &account, &params, &options)?;
                serde_json::to_string(&report).map_err(|e| Error::invalid("", e))
            }
            Command::LiquidationCheck { inputs } => {
                let (market, account, params, options) = load(inputs)?;
                let check = liquidation::liquidation_check(&market, &account, &params, &options)?;
                serde_json::to_string(&check).map_err(|e| Error::invalid("", e))
            }
            Command::WhatIf { inputs, order } => {
                let (market, account, params, options) = load(inputs)?;
                let order: liquidation::Order =
                    json::from_str(&read_file(&order, "order")?).map_err(|e| e.within("order"))?;
                let result = liquidation::what_if(&market, &account, &order, &params, &options)?;
                serde_json::to_string(&result).map_err(|e| Error::invalid("", e))
            }
            Command::MaxSize {
                inputs,
                instrument,
                side,
            } => {
                let (market, account, params, options) = load(inputs)?;
                let side: liquidation::Side = json::from_value(serde_json::Value::String(side))
                    .map_err(|e| e.within("side"))?;
                let instrument = drr_margin::portfolio::InstrumentSpec::Id(instrument);
                let result =
                    liquidation::max_size(&market, &account, &instrument, side, &params, &options)?;
                serde_json::to_string(&result).map_err(|e| Error::invalid("", e))
            }
            Command::Profiles => {
                serde_json::to_string(&profiles::profiles()).map_err(|e| Error::invalid("", e))
            }
            Command::DefaultParams { profile } => {
                serde_json::to_string(&profiles::profile(&profile)?)
                    .map_err(|e| Error::invalid("", e))
            }
            Command::Parity { count } => Ok(drr_margin::parity::corpus_digest(count)),
        }
    }

    pub fn main() -> ExitCode {
        match run(Cli::parse()) {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                let body = serde_json::json!({
                    "error": { "code": err.code(), "field": err.field(), "message": err.to_string() }
                });
                eprintln!("{body}");
                ExitCode::from(2)
            }
        }
    }
}
