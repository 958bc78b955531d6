//! Transcribed v2-core PMRM_2 portfolio cases (see `pm2_cases.rs`): inputs from each file's
//! `Scenario` block, expected `OptionMTM`, `MM`, `IM` from its `Result` block.

use super::pm2_cases::Pm2Case;

/// The path of every case below, relative to derivexyz/v2-core.
pub const DIR: &str = "test/risk-managers/unit-tests/PMRM_2/portfolio_cases";

const NO_PARAMS: &str = "{}";

pub const CASES: &[Pm2Case] = &[
    Pm2Case {
        file: "test_5_collateral_general_multi_collat.json",
        underlying: "BTC",
        now: 1_739_934_748,
        spot: 95663.50604855,
        stable: 1.00019088635,
        cash: -50000.0,
        perp: None,
        feeds: &[],
        options: &[],
        collateral: &[
            (
                "RSWETH",
                2.0,
                2765.7082515126017,
                0.2,
                0.04999999999999999,
                false,
            ),
            (
                "ETH",
                1.0,
                2681.6029850999994,
                0.15,
                0.05000000000000002,
                false,
            ),
            ("BTC", 0.3, 95663.50604855, 0.02, 0.009999999999999998, true),
            ("CBBTC", 2.0, 95621.88912023272, 0.04, 0.015, true),
            ("SDAI", 10000.0, 1.1470506863329273, 0.12, 0.03, false),
            (
                "USDE",
                2000.0,
                0.9989126981137378,
                0.2,
                0.04999999999999999,
                false,
            ),
            (
                "WEETH",
                10.0,
                2840.575164415104,
                0.25,
                0.09999999999999998,
                false,
            ),
        ],
        params: NO_PARAMS,
        option_mtm: 0.0,
        mm: 169706.50721754233,
        im: 154940.50415770418,
    },
    Pm2Case {
        file: "test_52_discounting_multi_expiry_discounting.json",
        underlying: "BTC",
        now: 1_739_934_748,
        spot: 95663.50604855,
        stable: 1.00019088635,
        cash: 0.0,
        perp: None,
        feeds: &[
            (1_758_873_600, 100374.61000117072, 0.2),
            (1_751_011_200, 98198.07812501276, 0.1),
        ],
        options: &[
            (1_758_873_600, 100000.0, true, 0.5543377511787965, 1.5),
            (1_758_873_600, 120000.0, false, 0.5665119096978181, 2.1),
            (1_751_011_200, 120000.0, false, 0.5646450091750466, -4.0),
        ],
        collateral: &[],
        params: NO_PARAMS,
        option_mtm: -28016.97983102975,
        mm: -81147.83852296828,
        im: -94908.87072619566,
    },
];
