/* Made by make_rev_seeds.py with the seeds of fuzz_ocsp and fuzz_crl:
 * the issuer and leaf they are about, and the time to judge at. */
#define REV_LAB_NOW 1893456000 /* 2030-01-01T00:00:00Z */
static const char REV_LAB_ISSUER[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBJjCBzKADAgECAgEBMAoGCCqGSM49BAMCMBIxEDAOBgNVBAMMB0Z1enogQ0Ew\n"
    "HhcNMjAwMTAxMDAwMDAwWhcNNDAwMTAxMDAwMDAwWjASMRAwDgYDVQQDDAdGdXp6\n"
    "IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWKDRiEej7BSzNAwI0UC2g8xK\n"
    "ehTnmJ6k7UsWNbnt86dnPIzdtI92osiRxrtr9FwLcqj7MGTh46JvroQDlV7kvKMT\n"
    "MBEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3YvODPCv0rxA\n"
    "hIrJHkBaR44w+3WZwoVYPAGNuaxXN94CIQDBc2xFNIkOmnE/ggbZbPlZMQ54pVq1\n"
    "t6uwf4taeXKV/g==\n"
    "-----END CERTIFICATE-----\n"
;
static const char REV_LAB_LEAF[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBgzCCASmgAwIBAgICEAEwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHRnV6eiBD\n"
    "QTAeFw0yMDAxMDEwMDAwMDBaFw00MDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMMCWZ1\n"
    "enoudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMamnU3XipHdOHJez1HX\n"
    "3lDRAkWupX5zxI1Mt1EhQXAPDz5LlMfWUOrK5ZXXS2/OJWNR4kS2VZl/p/LsH7Oa\n"
    "HCajbTBrMAwGA1UdEwEB/wQCMAAwLwYIKwYBBQUHAQEEIzAhMB8GCCsGAQUFBzAB\n"
    "hhNodHRwOi8vMTI3LjAuMC4xOjEvMCoGA1UdHwQjMCEwH6AdoBuGGWh0dHA6Ly8x\n"
    "MjcuMC4wLjE6MS9jYS5jcmwwCgYIKoZIzj0EAwIDSAAwRQIhAI4tLa29iEZAntGA\n"
    "zM6XUhUnU9b7+rHpkc+duqAbqoDFAiAFuQSX/lG+CLTsZ3Taw+zIR4OvzuLfGHAp\n"
    "eQx1Zv12uQ==\n"
    "-----END CERTIFICATE-----\n"
;
