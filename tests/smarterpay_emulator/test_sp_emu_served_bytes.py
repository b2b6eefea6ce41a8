"""The bytes served stay exactly those of the straightforward generator.

REFERENCE was printed by `python -m tests.smarterpay_emulator.served` with the straightforward
per-record generator (first at b08f239; again at d1fc329, when mandates began to name account
validations), before the generator was made cheaper and pages were cached: every list page, detail sample, odd page
size, window and filter, at three clock instants and after mutations and spawns. Any change to a
record's content, order or JSON spelling - or a cached page served after the data changed -
changes a digest.
"""

from __future__ import annotations

from tests.smarterpay_emulator.served import served_digests

REFERENCE = {
    "+0d/bankaccounts": "4f80ad3cc4634b152caa09a917e0ce64d2324051de22f1abee8103c571caaf27",
    "+0d/cards": "cf6f8705c4a89a2169f9c55c25d40595c1003113bd316ddd159852677cbb6a1f",
    "+0d/clientbankaccount": "fb70e58b97eda7acbb0c1b1fdbfcc779646cae223b72968a3b77f0d4b9580788",
    "+0d/credits": "cbb393cf8fb9c2231f7a39948fe74ea960449623b8f303e0be5ba4c65cb5ee25",
    "+0d/customeraccounts": "40ab01c32ba394e1e380cdc228a5afb906b8fcd5a6a42549dacab75990c76bc9",
    "+0d/mandates": "66eb7d4b9353df0610f06c1e638fcab0963e51cc4909abe7b23facaab79794a7",
    "+0d/outboundmessages": "540772d8d2a68ee75dcd127fa6279c0e2af227f1db46197b436ddf4f8adca962",
    "+0d/paymentlinks": "8b55843ddab0b8ad63298274f2787c5fa7b3e93855b31de4b16ade05086f159a",
    "+0d/payments": "21f46b24399bb1b17ee7bb692c23296c69a16c3bb5dda7b31903fe7db7376477",
    "+0d/payments/variants": "6907bb98b8d31e6810035ce94e3335fec4be0f1449abed62c57eadbffda5fd18",
    "+0d/recurrenceschedules": "09b47e56f10d5ee286c79fcd58ddc3b27f9a4fdbbbc59fc73eda1cb04095bf76",
    "+0d/serviceusernumber": "2943e1e65183d0df8de006e5954ea70ee346453957729542933906ad2cd9c249",
    "+0d/submissionlines": "98d43bd5c1baa105a5307b589fb5e41dabd93d9ec495fe0bedf79a7409f1e1cf",
    "+0d/submissions": "3308defebeaa5cd1a003163c9081a8038a324d4a73674cc8cb52a40587769653",
    "+200d/bankaccounts": "4f80ad3cc4634b152caa09a917e0ce64d2324051de22f1abee8103c571caaf27",
    "+200d/cards": "cf6f8705c4a89a2169f9c55c25d40595c1003113bd316ddd159852677cbb6a1f",
    "+200d/clientbankaccount": "fb70e58b97eda7acbb0c1b1fdbfcc779646cae223b72968a3b77f0d4b9580788",
    "+200d/credits": "cbb393cf8fb9c2231f7a39948fe74ea960449623b8f303e0be5ba4c65cb5ee25",
    "+200d/customeraccounts": "40ab01c32ba394e1e380cdc228a5afb906b8fcd5a6a42549dacab75990c76bc9",
    "+200d/mandates": "eafc9816b7a91336d9c282afcc99dc90a947aa8476e08d6b8cc6c6db9e1e8ca0",
    "+200d/outboundmessages": "ba0054a5cb51d006c26ea5ddc37ff4b9ea0f614a267b9e4dd8305587787b3517",
    "+200d/paymentlinks": "8b55843ddab0b8ad63298274f2787c5fa7b3e93855b31de4b16ade05086f159a",
    "+200d/payments": "5d1ef810858d0450ebe84a3e575b0157682c461e888d2d885973fdb5e60b197d",
    "+200d/payments/variants": "f140a9b46039df558a1cfdb18c6177fcb4ce0c753a3cdac7c2e93134410682a4",
    "+200d/recurrenceschedules": "58f9767b0da732de04e0ca28574d20cdb83cd6c7c041e301fb97195b584aea8b",
    "+200d/serviceusernumber": "2943e1e65183d0df8de006e5954ea70ee346453957729542933906ad2cd9c249",
    "+200d/submissionlines": "5e3fdb0786d710c4bc871cedf71b1fcda71906d3fec2e387ff091417e24b687c",
    "+200d/submissions": "dda1bde11f16d6424a04ba1cf670d1ba474d3f1a287b987567570ebf9e8828a0",
    "+600d/bankaccounts": "4f80ad3cc4634b152caa09a917e0ce64d2324051de22f1abee8103c571caaf27",
    "+600d/cards": "cf6f8705c4a89a2169f9c55c25d40595c1003113bd316ddd159852677cbb6a1f",
    "+600d/clientbankaccount": "fb70e58b97eda7acbb0c1b1fdbfcc779646cae223b72968a3b77f0d4b9580788",
    "+600d/credits": "cbb393cf8fb9c2231f7a39948fe74ea960449623b8f303e0be5ba4c65cb5ee25",
    "+600d/customeraccounts": "40ab01c32ba394e1e380cdc228a5afb906b8fcd5a6a42549dacab75990c76bc9",
    "+600d/mandates": "243bb217a5eb8bb01fc67158a37a4ec21e724cc6115ee132b689b37305f068b1",
    "+600d/outboundmessages": "a3db1dc9b66764f6bf40226be4f2c364ca44a8820603b94fa46513a322933d72",
    "+600d/paymentlinks": "8b55843ddab0b8ad63298274f2787c5fa7b3e93855b31de4b16ade05086f159a",
    "+600d/payments": "87c9483d0542a8cf4a55c2b4237b57f6d3358e66186004b466e1a8c48c5528fc",
    "+600d/payments/variants": "c88be6df98537ce9c8470804281b6935c8ca6d72a97c03acf69c0c90781f1a29",
    "+600d/recurrenceschedules": "a4ecba931eb536c3eb829f9ba73205bab1d9d94e0a1e921aa88a97c329a861f8",
    "+600d/serviceusernumber": "2943e1e65183d0df8de006e5954ea70ee346453957729542933906ad2cd9c249",
    "+600d/submissionlines": "5e3fdb0786d710c4bc871cedf71b1fcda71906d3fec2e387ff091417e24b687c",
    "+600d/submissions": "1eb07d401fe75a77bbbc9cfddd959b9780d4331b70304156f1216b15f58b257e",
    "changed/bankaccounts": "ce8c21cbb7b8e9a3ea053d307f50e9150efadc7c400981afb23ceccf9fe64ca8",
    "changed/cards": "cf6f8705c4a89a2169f9c55c25d40595c1003113bd316ddd159852677cbb6a1f",
    "changed/clientbankaccount": "fb70e58b97eda7acbb0c1b1fdbfcc779646cae223b72968a3b77f0d4b9580788",
    "changed/credits": "87eeb7bebca231b96fd6b3eb48d535a07ef5cf35764828345f8516b99d775555",
    "changed/customeraccounts": "40ab01c32ba394e1e380cdc228a5afb906b8fcd5a6a42549dacab75990c76bc9",
    "changed/mandates": "bcd31fc6451566c9df021225d0fbefca7ee4f921618caf5f053283d367a139c8",
    "changed/outboundmessages": "6195ccdfbfa7797784db6c46803fd9ff16d24939c1eb7a4aae111ecdfe95a46b",
    "changed/paymentlinks": "8b55843ddab0b8ad63298274f2787c5fa7b3e93855b31de4b16ade05086f159a",
    "changed/payments": "cee41c4085a4f2562939b3f0d698124223c6e0b212aeffed3beef454d9e493d5",
    "changed/payments/variants": "80096b6dfee71836bf9d9e717a18c85cbb311c634c3405c89f285d3e2a03d552",
    "changed/recurrenceschedules": "a4ecba931eb536c3eb829f9ba73205bab1d9d94e0a1e921aa88a97c329a861f8",
    "changed/serviceusernumber": "2943e1e65183d0df8de006e5954ea70ee346453957729542933906ad2cd9c249",
    "changed/submissionlines": "5e3fdb0786d710c4bc871cedf71b1fcda71906d3fec2e387ff091417e24b687c",
    "changed/submissions": "1eb07d401fe75a77bbbc9cfddd959b9780d4331b70304156f1216b15f58b257e",
}


async def test_served_bytes_equal_the_reference_generator() -> None:
    got = await served_digests(records=600, seed=3)
    differ = sorted(k for k in REFERENCE if got.get(k) != REFERENCE[k])
    assert not differ, f"served bytes changed for {differ}"
    assert set(got) == set(REFERENCE)
