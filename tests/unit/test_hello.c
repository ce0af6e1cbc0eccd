/*
 * Unit tests of hello.c: the ClientHellos it builds (every length field
 * adds up, the extensions each version calls for) and its parser of server
 * answers, on answers captured from a real OpenSSL server and on hand-made
 * ones that break the rules one at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ciphers.h"
#include "hello.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Answers of OpenSSL 3.0 `openssl s_server -accept 127.0.0.1:PORT -cert
 * ec.pem -key ec.key` (a self-signed P-256 certificate for CN=localhost,
 * options as noted) to hellos from cs_hello_build() offering
 * cs_suites_for_version() with SNI "localhost", sent from a python3 socket:
 * that a real server answers them shows the hellos interoperate.
 */
/* TLS 1.2: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone (623 bytes) */
static const unsigned char openssl_tls12[] = {
    0x16, 0x03, 0x03, 0x00, 0x59, 0x02, 0x00, 0x00, 0x55, 0x03, 0x03, 0x10, 0xcc, 0x31, 0xe9, 0xd4,
    0x77, 0xb2, 0xf9, 0xd2, 0x41, 0x7f, 0x3c, 0x57, 0x7f, 0x71, 0xe2, 0x17, 0xad, 0xdd, 0xd7, 0x3f,
    0x75, 0x84, 0xa2, 0x6a, 0x5b, 0x3e, 0x26, 0x35, 0xae, 0x69, 0xc7, 0x20, 0x69, 0xf1, 0xdc, 0xe2,
    0x8c, 0x3b, 0xe3, 0x9f, 0x5c, 0x8c, 0xda, 0x6f, 0x1c, 0xce, 0xfb, 0x52, 0x06, 0x5f, 0x2c, 0x2e,
    0x69, 0xf0, 0x19, 0xa1, 0x9d, 0x36, 0xb6, 0x00, 0x99, 0xf7, 0xdd, 0xcb, 0xc0, 0x09, 0x00, 0x00,
    0x0d, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x16, 0x03,
    0x03, 0x01, 0x8b, 0x0b, 0x00, 0x01, 0x87, 0x00, 0x01, 0x84, 0x00, 0x01, 0x81, 0x30, 0x82, 0x01,
    0x7d, 0x30, 0x82, 0x01, 0x23, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x57, 0xe3, 0x6d, 0xeb,
    0x06, 0x09, 0x53, 0xd4, 0x6c, 0x4a, 0xae, 0x2c, 0x8d, 0xae, 0x2a, 0x8a, 0x07, 0xc3, 0x4a, 0xaa,
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x14, 0x31, 0x12,
    0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x09, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f,
    0x73, 0x74, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x33, 0x31, 0x34, 0x32, 0x39,
    0x33, 0x38, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x32, 0x30, 0x31, 0x34, 0x32, 0x39, 0x33,
    0x38, 0x5a, 0x30, 0x14, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x09, 0x6c,
    0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
    0x42, 0x00, 0x04, 0xfb, 0x0d, 0x0d, 0xea, 0x90, 0x6f, 0x0d, 0xd3, 0x36, 0x6e, 0x6b, 0x23, 0xb1,
    0x98, 0x90, 0xbd, 0xfd, 0x23, 0x3d, 0x44, 0x09, 0xc2, 0x73, 0xd6, 0xa0, 0x64, 0xf2, 0x49, 0x10,
    0x02, 0x78, 0x22, 0x77, 0xcf, 0x13, 0x0c, 0xaa, 0x28, 0x82, 0xda, 0xbb, 0x34, 0xbd, 0xb7, 0xb2,
    0xdd, 0x67, 0xff, 0x96, 0x3b, 0xbc, 0xdf, 0xd9, 0xe1, 0x4d, 0xba, 0x21, 0x66, 0xeb, 0x51, 0xae,
    0xe7, 0x2d, 0x5f, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16,
    0x04, 0x14, 0xca, 0x16, 0xc9, 0xd8, 0x3f, 0x41, 0x07, 0x55, 0x77, 0x23, 0xb6, 0xd2, 0x76, 0xb7,
    0x6c, 0x8a, 0x3b, 0xfa, 0x02, 0x59, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30,
    0x16, 0x80, 0x14, 0xca, 0x16, 0xc9, 0xd8, 0x3f, 0x41, 0x07, 0x55, 0x77, 0x23, 0xb6, 0xd2, 0x76,
    0xb7, 0x6c, 0x8a, 0x3b, 0xfa, 0x02, 0x59, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01,
    0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x21, 0x00, 0xaa, 0xe6, 0xf2, 0x73,
    0x99, 0x6a, 0xad, 0x1e, 0x8a, 0x0f, 0xa4, 0x45, 0x71, 0xe4, 0x63, 0x50, 0x64, 0x79, 0x13, 0x7b,
    0x61, 0xd8, 0xfc, 0x44, 0x88, 0x36, 0x73, 0x3b, 0xd2, 0x4b, 0x28, 0x68, 0x02, 0x20, 0x2b, 0xd6,
    0xd8, 0x5e, 0x72, 0xbf, 0xc9, 0x40, 0x8f, 0x4d, 0x5c, 0xb6, 0xae, 0x3d, 0x24, 0x60, 0xba, 0x51,
    0x21, 0xb0, 0xb5, 0xb0, 0xc3, 0xe7, 0x8a, 0xf5, 0x34, 0x8d, 0xd9, 0x05, 0xa6, 0xa9, 0x16, 0x03,
    0x03, 0x00, 0x73, 0x0c, 0x00, 0x00, 0x6f, 0x03, 0x00, 0x1d, 0x20, 0xef, 0x4b, 0xd5, 0x4a, 0x72,
    0xf3, 0x6e, 0xcd, 0xe3, 0x59, 0xa8, 0x21, 0xab, 0x7e, 0x21, 0x6b, 0xcc, 0xb6, 0x6f, 0xcf, 0x08,
    0x88, 0x6a, 0x54, 0x20, 0x5a, 0x82, 0x03, 0x03, 0x8d, 0xd0, 0x77, 0x04, 0x03, 0x00, 0x47, 0x30,
    0x45, 0x02, 0x20, 0x4a, 0x31, 0x88, 0x2d, 0xf3, 0xff, 0xce, 0x76, 0x69, 0x26, 0x26, 0xa4, 0xd7,
    0x21, 0x3e, 0x35, 0xba, 0x09, 0x48, 0xf7, 0x0d, 0x62, 0x6d, 0x0c, 0xa2, 0xca, 0xfe, 0x92, 0x85,
    0xbc, 0x33, 0xdc, 0x02, 0x21, 0x00, 0xe8, 0x5f, 0xae, 0x45, 0x79, 0x4e, 0xae, 0x18, 0x10, 0x2d,
    0xdc, 0x14, 0x2e, 0xfd, 0x4f, 0x36, 0x4c, 0x8e, 0x90, 0x08, 0x7b, 0xb1, 0xe5, 0x25, 0xb3, 0x15,
    0x76, 0xcf, 0x15, 0x9d, 0x77, 0x1d, 0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00,
};

/* TLS 1.0 at @SECLEVEL=0: ServerHello (DH_anon), ServerKeyExchange, ServerHelloDone (367 bytes) */
static const unsigned char openssl_tls10_anon[] = {
    0x16, 0x03, 0x01, 0x00, 0x51, 0x02, 0x00, 0x00, 0x4d, 0x03, 0x01, 0xcd, 0x91, 0xcd, 0xbe, 0xd2,
    0x04, 0x91, 0x95, 0x4c, 0xfa, 0x13, 0xd6, 0x88, 0xc2, 0x8d, 0x62, 0x96, 0xd8, 0x6d, 0x7f, 0xbf,
    0xad, 0xe0, 0x15, 0xcb, 0x7e, 0x9e, 0xe3, 0x1f, 0xbd, 0xb8, 0xaa, 0x20, 0x5f, 0xd6, 0xf1, 0x5b,
    0x0c, 0x45, 0xfd, 0x15, 0x6d, 0x98, 0x12, 0x34, 0xe9, 0xaf, 0x73, 0x9a, 0x28, 0x7c, 0x37, 0x19,
    0x80, 0x45, 0x78, 0xbf, 0xdc, 0x35, 0xee, 0x93, 0x04, 0xe8, 0x58, 0xec, 0x00, 0x34, 0x00, 0x00,
    0x05, 0xff, 0x01, 0x00, 0x01, 0x00, 0x16, 0x03, 0x01, 0x01, 0x0b, 0x0c, 0x00, 0x01, 0x07, 0x00,
    0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2,
    0x34, 0xc4, 0xc6, 0x62, 0x8b, 0x80, 0xdc, 0x1c, 0xd1, 0x29, 0x02, 0x4e, 0x08, 0x8a, 0x67, 0xcc,
    0x74, 0x02, 0x0b, 0xbe, 0xa6, 0x3b, 0x13, 0x9b, 0x22, 0x51, 0x4a, 0x08, 0x79, 0x8e, 0x34, 0x04,
    0xdd, 0xef, 0x95, 0x19, 0xb3, 0xcd, 0x3a, 0x43, 0x1b, 0x30, 0x2b, 0x0a, 0x6d, 0xf2, 0x5f, 0x14,
    0x37, 0x4f, 0xe1, 0x35, 0x6d, 0x6d, 0x51, 0xc2, 0x45, 0xe4, 0x85, 0xb5, 0x76, 0x62, 0x5e, 0x7e,
    0xc6, 0xf4, 0x4c, 0x42, 0xe9, 0xa6, 0x37, 0xed, 0x6b, 0x0b, 0xff, 0x5c, 0xb6, 0xf4, 0x06, 0xb7,
    0xed, 0xee, 0x38, 0x6b, 0xfb, 0x5a, 0x89, 0x9f, 0xa5, 0xae, 0x9f, 0x24, 0x11, 0x7c, 0x4b, 0x1f,
    0xe6, 0x49, 0x28, 0x66, 0x51, 0xec, 0xe6, 0x53, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x00, 0x01, 0x02, 0x00, 0x80, 0xd6, 0x9c, 0x07, 0x4f, 0x5f, 0xea, 0x1a, 0xc0, 0x70, 0x0a,
    0xc2, 0x19, 0x2f, 0x56, 0x28, 0xf7, 0x5a, 0x96, 0xcc, 0x53, 0x86, 0x1e, 0x38, 0x44, 0x74, 0x39,
    0x50, 0x40, 0x65, 0x10, 0xf7, 0x51, 0x2a, 0x49, 0xb7, 0x33, 0x8e, 0x72, 0xe7, 0xf6, 0xb0, 0x57,
    0xe0, 0x2c, 0x24, 0x6f, 0x34, 0x57, 0xb6, 0x47, 0x13, 0x71, 0xf6, 0x3d, 0x6d, 0x56, 0xbf, 0x30,
    0x20, 0x74, 0x01, 0xbe, 0x48, 0x65, 0x71, 0x8b, 0xa7, 0xcc, 0x5e, 0xa4, 0x3d, 0x2b, 0x76, 0x6c,
    0xb9, 0x67, 0xe9, 0x3d, 0x4f, 0x58, 0xa7, 0x68, 0xf2, 0xb9, 0xbb, 0x51, 0xee, 0xeb, 0x05, 0x5d,
    0x36, 0xe3, 0x8d, 0x46, 0x3e, 0xf3, 0x19, 0xc1, 0x44, 0x68, 0x2d, 0x1d, 0x9c, 0xc3, 0x2e, 0xad,
    0x57, 0xd8, 0x75, 0xa8, 0xfa, 0x2b, 0xca, 0x16, 0x8f, 0x23, 0x48, 0x23, 0x0c, 0x0f, 0x7c, 0x75,
    0xb9, 0x2c, 0x19, 0xe6, 0x18, 0xf5, 0x16, 0x03, 0x01, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00,
};

/* TLS 1.3: ServerHello, ChangeCipherSpec, then encrypted records (741 bytes) */
static const unsigned char openssl_tls13[] = {
    0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0x3a, 0x24, 0xc7, 0x6f, 0x5f,
    0xaa, 0x09, 0xaa, 0xa5, 0x15, 0x19, 0x15, 0xe2, 0x91, 0x76, 0x64, 0xd7, 0x3c, 0xf5, 0x51, 0x68,
    0x6b, 0x3c, 0x2b, 0x64, 0xcb, 0xee, 0x2d, 0xf9, 0x73, 0x0f, 0xb9, 0x20, 0xde, 0xc4, 0x7b, 0x35,
    0xaa, 0xea, 0xd6, 0xde, 0xeb, 0x0d, 0x4d, 0x82, 0x99, 0xa1, 0x89, 0x79, 0x36, 0x03, 0x64, 0x21,
    0x69, 0xc3, 0xa4, 0x36, 0x66, 0x78, 0x61, 0xb4, 0x33, 0xcd, 0xb0, 0xd0, 0x13, 0x01, 0x00, 0x00,
    0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x51,
    0xb0, 0x79, 0x8b, 0xed, 0xc8, 0xda, 0x6a, 0x28, 0xa6, 0xb1, 0x62, 0x55, 0x7c, 0xd6, 0xb6, 0xf6,
    0x88, 0xef, 0xbd, 0x1a, 0x55, 0xdb, 0xd1, 0xfc, 0x7b, 0x4b, 0xc3, 0x66, 0x4d, 0x18, 0x3d, 0x14,
    0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x17, 0x63, 0xc2, 0x77, 0x6d, 0x06, 0xf4,
    0x06, 0x8f, 0x76, 0xee, 0x2e, 0xa4, 0xdc, 0x2c, 0x25, 0x69, 0xee, 0x0d, 0x81, 0xde, 0xbd, 0x63,
    0xfc, 0x17, 0x03, 0x03, 0x01, 0x9f, 0x45, 0x47, 0xfc, 0x0a, 0x76, 0x16, 0x49, 0xa5, 0xb0, 0xa6,
    0xad, 0xcc, 0x25, 0x0f, 0xb1, 0xdb, 0xc7, 0x1f, 0x76, 0xc1, 0xd5, 0x11, 0xa0, 0xfc, 0xd0, 0x47,
    0x07, 0x4c, 0xaf, 0xa1, 0x46, 0x78, 0x50, 0x26, 0x07, 0x81, 0x5a, 0x33, 0xb6, 0x72, 0x50, 0x24,
    0x77, 0xc0, 0x54, 0x60, 0xaa, 0xed, 0x60, 0x94, 0x0c, 0xfd, 0x2b, 0x78, 0x86, 0xb6, 0xa3, 0xe4,
    0xf6, 0x1b, 0x9b, 0xff, 0xc9, 0x3e, 0xcd, 0xbe, 0x59, 0x90, 0x56, 0xcc, 0xf6, 0xae, 0x69, 0x9f,
    0xa3, 0x91, 0xa0, 0xe9, 0xb3, 0x40, 0x6c, 0x1e, 0xc9, 0x82, 0x4d, 0x55, 0xbb, 0x39, 0xb3, 0x8b,
    0x30, 0x17, 0x15, 0x48, 0xf3, 0x4d, 0xaa, 0x3a, 0xba, 0x24, 0x12, 0xdd, 0x5b, 0x41, 0x62, 0x19,
    0x70, 0xa7, 0x2f, 0x87, 0x0a, 0x8d, 0xff, 0xb1, 0x12, 0x35, 0x32, 0x97, 0xa6, 0x1b, 0xe5, 0x3c,
    0x56, 0x68, 0xaa, 0x79, 0xe4, 0x61, 0x7d, 0x6a, 0x76, 0x23, 0x22, 0xf8, 0xf5, 0xf9, 0xca, 0x58,
    0x7c, 0x56, 0x08, 0x77, 0xdc, 0x13, 0x58, 0xe1, 0x50, 0xe0, 0xc7, 0x97, 0x9e, 0xb4, 0xd1, 0x41,
    0xb4, 0x80, 0x13, 0x67, 0x14, 0x30, 0x28, 0xf5, 0xc8, 0xa1, 0xc2, 0x07, 0x2a, 0xf2, 0xbb, 0x33,
    0x64, 0x56, 0x87, 0xe7, 0xce, 0x08, 0x85, 0x5b, 0x94, 0xa6, 0xcc, 0x66, 0x65, 0x13, 0x0e, 0xe9,
    0xa3, 0x13, 0x2a, 0x35, 0x14, 0xfc, 0xaf, 0xac, 0xae, 0x0d, 0xb0, 0xd8, 0x0a, 0xb8, 0xe9, 0x67,
    0xa2, 0x75, 0xd8, 0xa0, 0xd2, 0x2f, 0x1b, 0xd7, 0x78, 0x99, 0x8d, 0xbd, 0xd8, 0x6b, 0x59, 0x0a,
    0xa9, 0x07, 0xc3, 0x21, 0x75, 0xd7, 0x17, 0x7c, 0x1e, 0x49, 0xfd, 0xe4, 0xbc, 0x3e, 0x45, 0x2f,
    0x99, 0x6c, 0x53, 0xbc, 0x64, 0xfd, 0x77, 0x2e, 0x64, 0xce, 0x19, 0x06, 0xa5, 0x4c, 0x9d, 0xed,
    0x9e, 0xa6, 0x68, 0x42, 0x3d, 0xf5, 0xbe, 0x5a, 0x0d, 0xfd, 0xa2, 0x6a, 0xe5, 0xc6, 0x78, 0x24,
    0x58, 0x86, 0xc6, 0x89, 0x08, 0x24, 0x84, 0x9f, 0x71, 0x5e, 0x47, 0x24, 0xa7, 0x8f, 0x0a, 0xde,
    0x16, 0xf5, 0xc6, 0x29, 0xd5, 0x05, 0xf7, 0xfb, 0xc0, 0x3f, 0x4d, 0xbd, 0x45, 0x3a, 0xf2, 0x2c,
    0x7a, 0xb3, 0x40, 0x21, 0x25, 0xb6, 0xf4, 0xe0, 0x6a, 0xf2, 0x3d, 0x1d, 0x29, 0x1f, 0xa3, 0x25,
    0xee, 0x3f, 0x0b, 0xfa, 0x4c, 0xc2, 0xaf, 0x7f, 0x0e, 0xc6, 0x7a, 0x53, 0x68, 0x89, 0x0f, 0x4f,
    0x69, 0x5e, 0x96, 0x12, 0xcd, 0xac, 0x2f, 0x24, 0xdf, 0x39, 0x12, 0xc4, 0xb4, 0xc7, 0xcc, 0xcc,
    0x9f, 0x0d, 0x57, 0x83, 0xf6, 0x45, 0xb7, 0xfd, 0x25, 0xfa, 0xcd, 0x9f, 0xaf, 0xe8, 0xae, 0xf9,
    0xd5, 0x43, 0xe1, 0xe3, 0x98, 0xbd, 0xe3, 0xf9, 0x87, 0x08, 0xfd, 0xe8, 0x91, 0x3d, 0xa4, 0x90,
    0xf2, 0xc9, 0x0b, 0xc7, 0x3b, 0x6f, 0x79, 0x1f, 0xb5, 0x64, 0x28, 0x29, 0x89, 0xac, 0x72, 0x16,
    0x56, 0x5e, 0x78, 0x78, 0x3f, 0x00, 0x3a, 0x6a, 0xb8, 0x40, 0xa1, 0x9a, 0x7d, 0x44, 0x94, 0xc8,
    0xd5, 0x6a, 0x30, 0x70, 0x7e, 0x17, 0x03, 0x03, 0x00, 0x61, 0x9c, 0x7b, 0x1e, 0xa4, 0xdb, 0x7b,
    0x07, 0x07, 0x10, 0x43, 0x8f, 0xd8, 0x97, 0xdc, 0x2b, 0x1a, 0x15, 0x7a, 0x61, 0x73, 0x77, 0x28,
    0x59, 0xcb, 0xc2, 0x0f, 0xb1, 0xa3, 0x5b, 0xd4, 0x9b, 0xa6, 0x06, 0x06, 0xc4, 0x7c, 0x0b, 0xf9,
    0xd1, 0x58, 0xf5, 0xed, 0xe1, 0xb2, 0x00, 0x86, 0xf1, 0x8d, 0x49, 0x43, 0xc3, 0x72, 0xf0, 0x18,
    0xe8, 0x49, 0xf1, 0xa4, 0xc9, 0x7f, 0x6e, 0x6d, 0xdc, 0x3f, 0x36, 0xa9, 0x23, 0x06, 0x3b, 0x68,
    0xa8, 0xef, 0xec, 0x5a, 0x20, 0x2b, 0x88, 0xf3, 0x9e, 0x63, 0x0e, 0xe4, 0xd8, 0xf5, 0x2e, 0x97,
    0x90, 0xb0, 0x0f, 0xb6, 0x7b, 0xeb, 0x38, 0x16, 0xa1, 0xad, 0x96, 0x17, 0x03, 0x03, 0x00, 0x35,
    0xf2, 0x5e, 0x60, 0x54, 0x7f, 0xf6, 0x96, 0xf6, 0xaa, 0xa9, 0x14, 0x54, 0x0f, 0x29, 0x17, 0x52,
    0xe9, 0x46, 0x89, 0x3b, 0xc5, 0x30, 0x96, 0x75, 0x13, 0x8a, 0x89, 0xd9, 0x2d, 0x5d, 0x84, 0xf3,
    0x07, 0x50, 0xb3, 0xd7, 0x86, 0xb1, 0xc3, 0xec, 0x89, 0xc8, 0xe1, 0xbf, 0x84, 0x85, 0x6e, 0xfc,
    0x53, 0x6d, 0xbd, 0x27, 0xb0,
};

/* TLS 1.3 with -groups P-256: HelloRetryRequest, ChangeCipherSpec (99 bytes) */
static const unsigned char openssl_hello_retry[] = {
    0x16, 0x03, 0x03, 0x00, 0x58, 0x02, 0x00, 0x00, 0x54, 0x03, 0x03, 0xcf, 0x21, 0xad, 0x74,
    0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c, 0x20, 0x2e,
    0x1a, 0x91, 0x83, 0x25, 0xbe, 0xf5, 0x6b, 0x10, 0x47, 0x50, 0x32, 0xe1, 0x81, 0x00, 0x49,
    0xa6, 0x49, 0x0d, 0x52, 0x61, 0x32, 0xa3, 0x01, 0x83, 0xc4, 0x64, 0x50, 0x86, 0x1f, 0xeb,
    0xa4, 0x13, 0x01, 0x00, 0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00,
    0x02, 0x00, 0x17, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
};

/* SSLv3: handshake_failure (7 bytes) */
static const unsigned char openssl_sslv3_alert[] = {
    0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x28,
};

/* TLS 1.1 at the default security level: internal_error (7 bytes) */
static const unsigned char openssl_tls11_alert[] = {
    0x15, 0x03, 0x02, 0x00, 0x02, 0x02, 0x50,
};

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static size_t be24(const unsigned char *p)
{
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

static enum cs_answer_kind parse(const void *buf, size_t len, struct cs_answer *out)
{
    return cs_hello_parse(buf, len, out);
}

/* ---- a reader of the ClientHellos built -------------------------------- */

struct client_hello {
    uint16_t record_version;
    uint16_t version;
    size_t session_id_len;
    const unsigned char *suites; /* 2-byte ids */
    size_t suite_count;
    const unsigned char *compression;
    size_t compression_len;
    const unsigned char *extensions; /* NULL if the hello has none */
    size_t extensions_len;
};

/* Reads a built hello, asserting that it is one record holding one
 * ClientHello and that every length field adds up to the byte. */
static void read_client_hello(const unsigned char *p, size_t n, struct client_hello *ch)
{
    size_t at = 9;
    memset(ch, 0, sizeof(*ch));
    assert_true(n >= at);
    assert_int_equal(p[0], 22);
    ch->record_version = (uint16_t)be16(p + 1);
    assert_int_equal(be16(p + 3), n - 5);
    assert_int_equal(p[5], 1);
    assert_int_equal(be24(p + 6), n - 9);

    assert_true(n - at >= 2 + 32 + 1);
    ch->version = (uint16_t)be16(p + at);
    at += 2 + 32;
    ch->session_id_len = p[at];
    at += 1 + ch->session_id_len;
    assert_true(n - at >= 2);
    size_t suite_bytes = be16(p + at);
    assert_int_equal(suite_bytes % 2, 0);
    ch->suites = p + at + 2;
    ch->suite_count = suite_bytes / 2;
    at += 2 + suite_bytes;
    assert_true(n - at >= 1);
    ch->compression_len = p[at];
    ch->compression = p + at + 1;
    at += 1 + ch->compression_len;
    assert_true(at <= n);
    if (at == n)
        return;

    assert_true(n - at >= 2);
    ch->extensions_len = be16(p + at);
    ch->extensions = p + at + 2;
    at += 2;
    assert_int_equal(at + ch->extensions_len, n);
    for (size_t e = 0; e < ch->extensions_len;) {
        assert_true(ch->extensions_len - e >= 4);
        e += 4 + be16(ch->extensions + e + 2);
        assert_true(e <= ch->extensions_len);
    }
}

/* The data of extension `type` in a read hello, NULL if absent. */
static const unsigned char *find_extension(const struct client_hello *ch, unsigned type,
                                           size_t *len)
{
    for (size_t e = 0; ch->extensions != NULL && e < ch->extensions_len;) {
        size_t n = be16(ch->extensions + e + 2);
        if (be16(ch->extensions + e) == type) {
            *len = n;
            return ch->extensions + e + 4;
        }
        e += 4 + n;
    }
    return NULL;
}

static bool has_extension(const struct client_hello *ch, unsigned type)
{
    size_t len;
    return find_extension(ch, type, &len) != NULL;
}

static bool offers_suite(const struct client_hello *ch, uint16_t id)
{
    for (size_t i = 0; i < ch->suite_count; i++)
        if (be16(ch->suites + 2 * i) == id)
            return true;
    return false;
}

/* Builds a hello offering every suite of `version`; returns its length. */
static size_t build(uint16_t version, const char *sni, unsigned char *out, size_t cap)
{
    uint16_t suites[CS_SUITES_MAX];
    struct cs_hello_offer offer = {.version = version, .suites = suites, .sni = sni};
    offer.suite_count = cs_suites_for_version(version, suites, CS_SUITES_MAX);
    return cs_hello_build(&offer, out, cap);
}

/* ---- building ----------------------------------------------------------- */

static void test_tls12_hello_offers_the_suites_and_extensions(void **state)
{
    unsigned char buf[CS_HELLO_MAX];
    uint16_t suites[CS_SUITES_MAX];
    size_t suite_count = cs_suites_for_version(CS_TLS12, suites, CS_SUITES_MAX);
    struct client_hello ch;
    size_t n = build(CS_TLS12, "localhost", buf, sizeof(buf)), len;

    assert_true(n > 0);
    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.record_version, CS_TLS10);
    assert_int_equal(ch.version, CS_TLS12);
    assert_int_equal(ch.session_id_len, 0);
    assert_int_equal(ch.suite_count, suite_count);
    for (size_t i = 0; i < suite_count; i++)
        assert_int_equal(be16(ch.suites + 2 * i), suites[i]);
    assert_int_equal(ch.compression_len, 1);
    assert_int_equal(ch.compression[0], 0);

    const unsigned char *sni = find_extension(&ch, 0, &len);
    assert_non_null(sni);
    assert_int_equal(len, 2 + 1 + 2 + 9);
    assert_memory_equal(sni, "\x00\x0c\x00\x00\x09localhost", len);
    const unsigned char *groups = find_extension(&ch, 10, &len);
    assert_non_null(groups);
    assert_int_equal(be16(groups), len - 2);
    assert_int_equal(be16(groups + 2), 29); /* x25519 first */
    const unsigned char *formats = find_extension(&ch, 11, &len);
    assert_non_null(formats);
    assert_int_equal(len, 2);
    assert_memory_equal(formats, "\x01\x00", 2);
    const unsigned char *sigalgs = find_extension(&ch, 13, &len);
    assert_non_null(sigalgs);
    assert_int_equal(be16(sigalgs), len - 2);
    bool rsa_sha1 = false, ed25519 = false, pss = false;
    for (size_t i = 2; i < len; i += 2) {
        rsa_sha1 |= be16(sigalgs + i) == 0x0201;
        ed25519 |= be16(sigalgs + i) == 0x0807;
        pss |= be16(sigalgs + i) == 0x0804;
    }
    assert_true(rsa_sha1 && ed25519 && pss);
    const unsigned char *reneg = find_extension(&ch, 0xff01, &len);
    assert_non_null(reneg);
    assert_int_equal(len, 1);
    assert_int_equal(reneg[0], 0);
    assert_false(has_extension(&ch, 15)); /* heartbeat: not asked */
    assert_false(has_extension(&ch, 43)); /* supported_versions: 1.3 only */
    assert_false(has_extension(&ch, 51));
    assert_false(offers_suite(&ch, CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV));
    assert_false(offers_suite(&ch, CS_SUITE_FALLBACK_SCSV));
}

static void test_tls13_hello_has_legacy_version_and_one_x25519_share(void **state)
{
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t n = build(CS_TLS13, "localhost", buf, sizeof(buf)), len;

    assert_true(n > 0);
    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.record_version, CS_TLS10);
    assert_int_equal(ch.version, CS_TLS12);
    assert_int_equal(ch.session_id_len, 32);
    assert_int_equal(ch.suite_count, 5);
    assert_true(offers_suite(&ch, 0x1301));

    const unsigned char *versions = find_extension(&ch, 43, &len);
    assert_non_null(versions);
    assert_int_equal(len, 3);
    assert_memory_equal(versions, "\x02\x03\x04", 3);
    const unsigned char *share = find_extension(&ch, 51, &len);
    assert_non_null(share);
    assert_int_equal(len, 2 + 2 + 2 + 32);
    assert_int_equal(be16(share), 36);
    assert_int_equal(be16(share + 2), 29);
    assert_int_equal(be16(share + 4), 32);
    const unsigned char *modes = find_extension(&ch, 45, &len);
    assert_non_null(modes);
    assert_int_equal(len, 2);
    assert_memory_equal(modes, "\x01\x01", 2);
    assert_true(has_extension(&ch, 13));
    assert_true(has_extension(&ch, 10));
}

static void test_two_hellos_have_different_randoms(void **state)
{
    unsigned char a[CS_HELLO_MAX], b[CS_HELLO_MAX];
    size_t na = build(CS_TLS13, NULL, a, sizeof(a)), nb = build(CS_TLS13, NULL, b, sizeof(b));
    assert_int_equal(na, nb);
    assert_memory_not_equal(a + 11, b + 11, 32);
}

static void test_sslv3_hello_has_scsv_and_no_extensions(void **state)
{
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t n = build(CS_SSL3, "localhost", buf, sizeof(buf));

    assert_true(n > 0);
    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.record_version, CS_SSL3);
    assert_int_equal(ch.version, CS_SSL3);
    assert_null(ch.extensions);
    assert_int_equal(be16(ch.suites + 2 * (ch.suite_count - 1)),
                     CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV);
}

static void test_tls10_hello_has_no_signature_algorithms(void **state)
{
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t n = build(CS_TLS10, "localhost", buf, sizeof(buf));

    assert_true(n > 0);
    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.version, CS_TLS10);
    assert_false(has_extension(&ch, 13));
    assert_true(has_extension(&ch, 0xff01));
    assert_true(has_extension(&ch, 10));
    assert_false(offers_suite(&ch, CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV));
}

static void test_fallback_deflate_and_heartbeat_when_asked(void **state)
{
    static const uint16_t suites[] = {0x002f, 0x0035};
    struct cs_hello_offer offer = {CS_TLS11, suites, 2, NULL, true, true, true, true};
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t n = cs_hello_build(&offer, buf, sizeof(buf)), len;

    assert_true(n > 0);
    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.suite_count, 3);
    assert_int_equal(be16(ch.suites + 4), CS_SUITE_FALLBACK_SCSV);
    assert_int_equal(ch.compression_len, 2);
    assert_memory_equal(ch.compression, "\x01\x00", 2);
    const unsigned char *heartbeat = find_extension(&ch, 15, &len);
    assert_non_null(heartbeat);
    assert_int_equal(len, 1);
    assert_int_equal(heartbeat[0], 1);
    const unsigned char *status = find_extension(&ch, 5, &len);
    assert_non_null(status);
    assert_int_equal(len, 5);
    assert_memory_equal(status, "\x01\x00\x00\x00\x00", 5); /* ocsp, no ids, no extensions */
    assert_false(has_extension(&ch, 0));                    /* no SNI asked */
}

static void test_sslv3_fallback_scsv_follows_renegotiation_scsv(void **state)
{
    static const uint16_t suites[] = {0x000a};
    struct cs_hello_offer offer = {
        .version = CS_SSL3, .suites = suites, .suite_count = 1, .fallback_scsv = true};
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t n = cs_hello_build(&offer, buf, sizeof(buf));

    read_client_hello(buf, n, &ch);
    assert_int_equal(ch.suite_count, 3);
    assert_int_equal(be16(ch.suites + 2), CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV);
    assert_int_equal(be16(ch.suites + 4), CS_SUITE_FALLBACK_SCSV);
}

static void test_sni_is_sent_for_names_only(void **state)
{
    static const char *const addresses[] = {"192.0.2.1", "2001:db8::1", "::1", "", "."};
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;
    size_t len;

    for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
        size_t n = build(CS_TLS12, addresses[i], buf, sizeof(buf));
        read_client_hello(buf, n, &ch);
        assert_false(has_extension(&ch, 0));
    }

    size_t n = build(CS_TLS12, "www.example.com.", buf, sizeof(buf));
    read_client_hello(buf, n, &ch);
    const unsigned char *sni = find_extension(&ch, 0, &len);
    assert_non_null(sni);
    assert_int_equal(be16(sni + 3), 15); /* without the trailing dot */
    assert_memory_equal(sni + 5, "www.example.com", 15);
    n = build(CS_TLS12, "1.example", buf, sizeof(buf));
    read_client_hello(buf, n, &ch);
    assert_true(has_extension(&ch, 0));
}

static void test_hellos_of_256_to_511_bytes_are_padded(void **state)
{
    uint16_t suites[CS_SUITES_MAX] = {0};
    unsigned char buf[CS_HELLO_MAX];
    struct client_hello ch;

    size_t padded = 0;

    /* Every size of offer: the handshake message is never 256 to 511 bytes. */
    for (size_t count = 1; count < 200; count++) {
        struct cs_hello_offer offer = {CS_TLS12, suites, count, "localhost",
                                       false,    false,  false, false};
        for (size_t i = 0; i < count; i++)
            suites[i] = (uint16_t)(0xc000 + i);
        size_t n = cs_hello_build(&offer, buf, sizeof(buf));
        read_client_hello(buf, n, &ch);
        size_t message = n - 5;
        assert_true(message < 256 || message >= 512);
        if (has_extension(&ch, 21)) {
            assert_true(message >= 512 && message <= 515);
            padded++;
        }
    }
    assert_true(padded > 50);
}

static void test_build_needs_room(void **state)
{
    unsigned char buf[CS_HELLO_MAX];
    size_t n = build(CS_TLS12, "localhost", buf, sizeof(buf));
    assert_true(n > 0);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(build(CS_TLS12, "localhost", buf, cap), 0);
    assert_int_equal(build(CS_TLS12, "localhost", buf, n), n);
}

static void test_build_refuses_more_than_hello_max(void **state)
{
    static uint16_t suites[3000];
    static unsigned char buf[8192];
    struct cs_hello_offer offer = {.version = CS_TLS12, .suites = suites, .suite_count = 3000};
    assert_int_equal(cs_hello_build(&offer, buf, sizeof(buf)), 0);
}

static void test_build_refuses_other_versions(void **state)
{
    static const uint16_t suites[] = {0x002f};
    unsigned char buf[CS_HELLO_MAX];
    struct cs_hello_offer offer = {.version = CS_SSL2, .suites = suites, .suite_count = 1};
    assert_int_equal(cs_hello_build(&offer, buf, sizeof(buf)), 0);
    offer.version = 0x0305;
    assert_int_equal(cs_hello_build(&offer, buf, sizeof(buf)), 0);
}

static void test_ssl2_client_hello_offers_every_kind(void **state)
{
    unsigned char buf[64];
    size_t n = cs_hello_build_ssl2(buf, sizeof(buf));

    assert_int_equal(n, 2 + 9 + 21 + 16);
    assert_int_equal(buf[0], 0x80);
    assert_int_equal(buf[1], n - 2);
    assert_int_equal(buf[2], 1);         /* CLIENT-HELLO */
    assert_int_equal(be16(buf + 3), 2);  /* SSL 2.0 */
    assert_int_equal(be16(buf + 5), 21); /* cipher specs */
    assert_int_equal(be16(buf + 7), 0);  /* session id */
    assert_int_equal(be16(buf + 9), 16); /* challenge */
    for (size_t i = 0; i < 7; i++) {
        const unsigned char *spec = buf + 11 + 3 * i;
        assert_int_equal((uint32_t)spec[0] << 16 | be16(spec + 1), cs_ssl2_suites[i].id);
    }
    assert_int_equal(cs_hello_build_ssl2(buf, n - 1), 0);
}

static void test_heartbeat_request_claims_without_payload(void **state)
{
    static const unsigned char want[] = {24, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00};
    unsigned char buf[16];
    assert_int_equal(cs_heartbeat_build(CS_TLS11, buf, sizeof(buf)), 8);
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(cs_heartbeat_build(CS_TLS11, buf, 7), 0);
}

/* ---- parsing: real answers ---------------------------------------------- */

/*
 * Asserts what every prefix of an answer parses to: NEED_MORE before the
 * ServerHello is complete at hello_end, then SERVER_HELLO with the same hello
 * as the whole answer, and hello_done and heartbeat flags that only ever
 * turn on.
 */
static void assert_prefixes(const unsigned char *buf, size_t len, size_t hello_end)
{
    struct cs_answer whole, part;
    bool done = false, seen = false;
    assert_int_equal(parse(buf, len, &whole), CS_ANSWER_SERVER_HELLO);
    for (size_t n = 0; n <= len; n++) {
        enum cs_answer_kind kind = parse(buf, n, &part);
        if (n < hello_end) {
            assert_int_equal(kind, CS_ANSWER_NEED_MORE);
            continue;
        }
        assert_int_equal(kind, CS_ANSWER_SERVER_HELLO);
        assert_memory_equal(&part.hello, &whole.hello, sizeof(part.hello));
        assert_true(part.hello_done >= done);
        assert_true(part.heartbeat_seen >= seen);
        done = part.hello_done;
        seen = part.heartbeat_seen;
    }
}

static void test_openssl_tls12_answer(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(openssl_tls12, sizeof(openssl_tls12), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.version, CS_TLS12);
    assert_int_equal(a.hello.suite, 0xc009); /* ECDHE_ECDSA_WITH_AES_128_CBC_SHA */
    assert_int_equal(a.hello.compression, 0);
    assert_false(a.hello.hello_retry);
    assert_true(a.hello.renegotiation_info);
    assert_false(a.hello.heartbeat);
    assert_true(a.hello_done);
    assert_int_equal(a.alert, -1);
    assert_false(a.heartbeat_seen);
    assert_null(a.reason);
    assert_prefixes(openssl_tls12, sizeof(openssl_tls12), 5 + be16(openssl_tls12 + 3));
}

static void test_openssl_tls10_answer_with_anonymous_suite(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(openssl_tls10_anon, sizeof(openssl_tls10_anon), &a),
                     CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.version, CS_TLS10);
    assert_int_equal(a.hello.suite, 0x0034); /* DH_anon_WITH_AES_128_CBC_SHA */
    assert_true(cs_suite_find(a.hello.suite)->flags & CS_SUITE_ANON);
    assert_true(a.hello_done);
    assert_prefixes(openssl_tls10_anon, sizeof(openssl_tls10_anon),
                    5 + be16(openssl_tls10_anon + 3));
}

static void test_openssl_tls13_answer_stops_at_encrypted_records(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(openssl_tls13, sizeof(openssl_tls13), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.version, CS_TLS13);
    assert_int_equal(a.hello.suite, 0x1301);
    assert_false(a.hello.hello_retry);
    assert_false(a.hello_done);
    assert_int_equal(a.alert, -1);
    assert_prefixes(openssl_tls13, sizeof(openssl_tls13), 5 + be16(openssl_tls13 + 3));
}

static void test_openssl_hello_retry_request(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(openssl_hello_retry, sizeof(openssl_hello_retry), &a),
                     CS_ANSWER_SERVER_HELLO);
    assert_true(a.hello.hello_retry);
    assert_int_equal(a.hello.version, CS_TLS13);
    assert_int_equal(a.hello.suite, 0x1301);
    assert_prefixes(openssl_hello_retry, sizeof(openssl_hello_retry),
                    5 + be16(openssl_hello_retry + 3));
}

static void test_openssl_alerts(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(openssl_sslv3_alert, sizeof(openssl_sslv3_alert), &a), CS_ANSWER_ALERT);
    assert_int_equal(a.alert, 40); /* handshake_failure */
    assert_int_equal(parse(openssl_tls11_alert, sizeof(openssl_tls11_alert), &a), CS_ANSWER_ALERT);
    assert_int_equal(a.alert, 80); /* internal_error */
    for (size_t n = 0; n < sizeof(openssl_sslv3_alert); n++)
        assert_int_equal(parse(openssl_sslv3_alert, n, &a), CS_ANSWER_NEED_MORE);
}

/*
 * Copies the handshake records at the start of in into out as records of at
 * most `size` bytes each, then the rest of in unchanged. Returns the length.
 */
static size_t refragment(const unsigned char *in, size_t len, size_t size, unsigned char *out)
{
    unsigned char *stream = malloc(len);
    size_t stream_len = 0, at = 0, n = 0;
    uint16_t version = (uint16_t)be16(in + 1);

    assert_non_null(stream);
    while (at + 5 <= len && in[at] == 22) {
        size_t record = be16(in + at + 3);
        memcpy(stream + stream_len, in + at + 5, record);
        stream_len += record;
        at += 5 + record;
    }
    for (size_t s = 0; s < stream_len; s += size) {
        size_t chunk = stream_len - s < size ? stream_len - s : size;
        out[n++] = 22;
        out[n++] = version >> 8;
        out[n++] = version & 0xff;
        out[n++] = (unsigned char)(chunk >> 8);
        out[n++] = chunk & 0xff;
        memcpy(out + n, stream + s, chunk);
        n += chunk;
    }
    memcpy(out + n, in + at, len - at);
    free(stream);
    return n + len - at;
}

static void test_hello_spread_over_one_byte_records(void **state)
{
    static unsigned char spread[6 * sizeof(openssl_tls12)];
    size_t hello_len = 4 + be24(openssl_tls12 + 6); /* the ServerHello message */
    size_t n = refragment(openssl_tls12, sizeof(openssl_tls12), 1, spread);
    struct cs_answer a;

    assert_int_equal(parse(spread, n, &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.suite, 0xc009);
    assert_true(a.hello_done);
    assert_prefixes(spread, n, 6 * hello_len);
}

static void test_messages_coalesced_in_one_record(void **state)
{
    static unsigned char one[sizeof(openssl_tls12)];
    size_t n = refragment(openssl_tls12, sizeof(openssl_tls12), 16384, one);
    struct cs_answer a;

    assert_true(n < sizeof(openssl_tls12));
    assert_int_equal(parse(one, n, &a), CS_ANSWER_SERVER_HELLO);
    assert_true(a.hello_done);
    assert_prefixes(one, n, 5 + 4 + be24(openssl_tls12 + 6));
}

static void test_records_of_every_size(void **state)
{
    static unsigned char out[6 * sizeof(openssl_tls12)];
    for (size_t size = 1; size < 700; size++) {
        struct cs_answer a;
        size_t n = refragment(openssl_tls12, sizeof(openssl_tls12), size, out);
        assert_int_equal(parse(out, n, &a), CS_ANSWER_SERVER_HELLO);
        assert_int_equal(a.hello.suite, 0xc009);
        assert_true(a.hello_done);
    }
}

/* ---- parsing: hand-made answers ----------------------------------------- */

/* A TLS 1.2 ServerHello with renegotiation_info and heartbeat, then a
 * ServerHelloDone record. */
static const unsigned char hand_hello[] = {
    0x16, 0x03, 0x03, 0x00, 0x36,                   /* record: handshake, 54 bytes */
    0x02, 0x00, 0x00, 0x32,                         /* ServerHello, 50 bytes */
    0x03, 0x03,                                     /* version */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* random */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x00, /* session id: none */
    0xc0, 0x2f,                                                             /* suite */
    0x01,                                                 /* compression: DEFLATE */
    0x00, 0x0a,                                           /* extensions: 10 bytes */
    0xff, 0x01, 0x00, 0x01, 0x00,                         /* renegotiation_info */
    0x00, 0x0f, 0x00, 0x01, 0x01,                         /* heartbeat */
    0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00, /* ServerHelloDone */
};

enum {
    HAND_SESSION_ID = 43,
    HAND_EXTENSIONS = 47,
    HAND_RENEGOTIATION = 49,
    HAND_HEARTBEAT_EXT = 54,
    HAND_DONE = 59,
};

/* Parses hand_hello with one byte changed. */
static enum cs_answer_kind parse_changed(size_t at, unsigned char value, struct cs_answer *out)
{
    unsigned char buf[sizeof(hand_hello)];
    memcpy(buf, hand_hello, sizeof(buf));
    buf[at] = value;
    return parse(buf, sizeof(buf), out);
}

static void assert_malformed(enum cs_answer_kind kind, const struct cs_answer *a,
                             const char *reason)
{
    assert_int_equal(kind, CS_ANSWER_MALFORMED);
    assert_non_null(a->reason);
    assert_string_equal(a->reason, reason);
}

static void test_hand_hello(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(hand_hello, sizeof(hand_hello), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.version, CS_TLS12);
    assert_int_equal(a.hello.suite, 0xc02f);
    assert_int_equal(a.hello.compression, 1);
    assert_true(a.hello.renegotiation_info);
    assert_true(a.hello.heartbeat);
    assert_true(a.hello_done);
    assert_prefixes(hand_hello, sizeof(hand_hello), HAND_DONE);
}

/* ServerHello, CertificateStatus (RFC 6066 8) with a 3-byte response,
 * ServerHelloDone, in one record. */
static const unsigned char stapled[] = {
    0x16, 0x03, 0x03, 0x00, 0x39, 0x02, 0x00, 0x00, 0x26, 0x03, 0x03, 1,    2,    3,    4,    5,
    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,   21,
    22,   23,   24,   25,   26,   27,   28,   29,   30,   31,   32,   0x00, 0xc0, 0x2f, 0x00, 0x16,
    0x00, 0x00, 0x07, 0x01, 0x00, 0x00, 0x03, 0x30, 0x01, 0x00, 0x0e, 0x00, 0x00, 0x00,
};

static void test_certificate_status_is_a_stapled_response(void **state)
{
    unsigned char buf[sizeof(stapled)];
    struct cs_answer a;

    assert_int_equal(parse(stapled, sizeof(stapled), &a), CS_ANSWER_SERVER_HELLO);
    assert_true(a.cert_status);
    assert_true(a.hello_done);
    assert_prefixes(stapled, sizeof(stapled), 5 + 42);

    /* A response length that disagrees with the message's ends the walk
     * there: no staple, and no ServerHelloDone either. */
    memcpy(buf, stapled, sizeof(buf));
    buf[5 + 42 + 7] = 0x04;
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.cert_status);
    assert_false(a.hello_done);

    /* Without it: a whole flight, no staple. */
    assert_int_equal(parse(hand_hello, sizeof(hand_hello), &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.cert_status);
}

static void test_hello_without_extensions(void **state)
{
    unsigned char buf[HAND_EXTENSIONS];
    struct cs_answer a;
    memcpy(buf, hand_hello, sizeof(buf));
    buf[4] = HAND_EXTENSIONS - 5;
    buf[8] = HAND_EXTENSIONS - 9;
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.hello.renegotiation_info);
    assert_false(a.hello_done);
}

static void test_session_id_longer_than_32(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(HAND_SESSION_ID, 33, &a), &a, "session_id_too_long");
}

static void test_session_id_past_the_message(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(HAND_SESSION_ID, 20, &a), &a, "server_hello_truncated");
}

static void test_extensions_length_lies(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(HAND_EXTENSIONS + 1, 0x0b, &a), &a, "extensions_length");
    assert_malformed(parse_changed(HAND_EXTENSIONS + 1, 0x09, &a), &a, "extensions_length");
}

static void test_extension_length_lies(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(HAND_RENEGOTIATION + 3, 0x0a, &a), &a, "extension_length");
    assert_malformed(parse_changed(HAND_RENEGOTIATION + 4, 0x01, &a), &a,
                     "renegotiation_info_length");
    assert_malformed(parse_changed(HAND_HEARTBEAT_EXT + 3, 0x02, &a), &a, "extension_length");
    assert_malformed(parse_changed(HAND_HEARTBEAT_EXT + 3, 0x00, &a), &a, "heartbeat_length");
}

static void test_message_length_lies(void **state)
{
    struct cs_answer a;
    /* Longer than its content: the extensions no longer fill it. */
    assert_malformed(parse_changed(8, 0x33, &a), &a, "extensions_length");
    /* Shorter: the extensions run past its end. */
    assert_malformed(parse_changed(8, 0x31, &a), &a, "extensions_length");
    assert_malformed(parse_changed(8, 0x10, &a), &a, "server_hello_too_short");
    assert_malformed(parse_changed(6, 0x02, &a), &a, "server_hello_too_long");
}

static void test_record_shorter_than_its_message(void **state)
{
    struct cs_answer a;
    /* The message goes on into "records" made of its own bytes. */
    assert_int_equal(parse_changed(4, 0x30, &a), CS_ANSWER_MALFORMED);
    assert_non_null(a.reason);
}

static void test_record_too_long(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x03, 0x48, 0x01, 0x02};
    struct cs_answer a;
    assert_malformed(parse(header, sizeof(header), &a), &a, "record_too_long");
}

static void test_record_too_long_after_hello_ends_the_walk(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse_changed(HAND_DONE + 3, 0x49, &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.hello_done);
    assert_null(a.reason);
}

static void test_bad_server_hello_version(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(9, 0x02, &a), &a, "server_hello_version");
}

static void test_handshake_interleaved_with_alert(void **state)
{
    static const unsigned char buf[] = {
        0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x00, /* half a header */
        0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28, /* an alert */
    };
    struct cs_answer a;
    assert_malformed(parse(buf, sizeof(buf), &a), &a, "handshake_interleaved");
}

static void test_unexpected_first_message(void **state)
{
    struct cs_answer a;
    assert_malformed(parse_changed(5, 11, &a), &a, "unexpected_handshake_message");
}

static void test_hello_request_is_skipped(void **state)
{
    unsigned char buf[4 + sizeof(hand_hello)];
    struct cs_answer a;
    memcpy(buf, hand_hello, 5);
    buf[4] += 4;
    memcpy(buf + 5, "\x00\x00\x00\x00", 4);
    memcpy(buf + 9, hand_hello + 5, sizeof(hand_hello) - 5);
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_true(a.hello_done);
}

static void test_empty_and_unknown_records(void **state)
{
    static const unsigned char empty[] = {0x16, 0x03, 0x03, 0x00, 0x00};
    static const unsigned char appdata[] = {0x17, 0x03, 0x03, 0x00, 0x01, 0x00};
    static const unsigned char heartbeat[] = {0x18, 0x03, 0x03, 0x00, 0x01, 0x00};
    static const unsigned char unknown[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70,
                                            0x19, 0x03, 0x03, 0x00, 0x01, 0x00};
    static const unsigned char version[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70,
                                            0x16, 0x02, 0x00, 0x00, 0x01, 0x00};
    struct cs_answer a;
    assert_malformed(parse(empty, sizeof(empty), &a), &a, "record_empty");
    assert_malformed(parse(appdata, sizeof(appdata), &a), &a, "unexpected_record");
    assert_malformed(parse(heartbeat, sizeof(heartbeat), &a), &a, "unexpected_heartbeat");
    assert_malformed(parse(unknown, sizeof(unknown), &a), &a, "record_type");
    assert_malformed(parse(version, sizeof(version), &a), &a, "record_version");
}

static void test_bad_record_after_hello_keeps_the_hello(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse_changed(HAND_DONE, 0x30, &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.hello_done);
    assert_int_equal(parse_changed(HAND_DONE + 8, 0x01, &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.hello_done); /* a ServerHelloDone with a body */
}

static void test_supported_versions_decides_the_version(void **state)
{
    static const unsigned char buf[] = {
        0x16, 0x03, 0x03, 0x00, 0x32, 0x02, 0x00, 0x00, 0x2e, 0x03, 0x03, 0x22, 0x22,
        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
        0x22, 0x22, 0x22, 0x22, 0x00, 0x13, 0x02, 0x00, 0x00, 0x06, 0x00, 0x2b, 0x00,
        0x02, 0x03, 0x04, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01, /* ChangeCipherSpec */
        0x17, 0x03, 0x03, 0x00, 0x03, 0xde, 0xad, 0xff,       /* nonsense, encrypted */
    };
    unsigned char bad[sizeof(buf)];
    struct cs_answer a;
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.hello.version, CS_TLS13);
    assert_int_equal(a.hello.suite, 0x1302);
    assert_false(a.hello.hello_retry);

    memcpy(bad, buf, sizeof(buf));
    bad[52] = 3; /* supported_versions of 3 bytes */
    bad[48] = 7;
    bad[4] += 1;
    bad[8] += 1;
    assert_malformed(parse(bad, sizeof(bad), &a), &a, "supported_versions_length");
}

static void test_http_response_is_not_tls(void **state)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
    struct cs_answer a;
    assert_int_equal(parse(http, strlen(http), &a), CS_ANSWER_NOT_TLS);
    assert_string_equal(a.reason, "http_response");
}

static void test_ssh_banner_is_not_tls(void **state)
{
    static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
    struct cs_answer a;
    assert_int_equal(parse(ssh, strlen(ssh), &a), CS_ANSWER_NOT_TLS);
    assert_string_equal(a.reason, "ssh_banner");
}

static void test_nothing_yet_needs_more(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse("", 0, &a), CS_ANSWER_NEED_MORE);
    assert_int_equal(a.alert, -1);
    assert_null(a.reason);
}

/* ---- alerts ------------------------------------------------------------- */

static void test_fatal_alert_is_the_answer(void **state)
{
    static const unsigned char alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
    struct cs_answer a;
    assert_int_equal(parse(alert, sizeof(alert), &a), CS_ANSWER_ALERT);
    assert_int_equal(a.alert, 70); /* protocol_version */
}

static void test_warning_before_hello_is_stepped_over(void **state)
{
    unsigned char buf[7 + sizeof(hand_hello)];
    struct cs_answer a;
    memcpy(buf, "\x15\x03\x03\x00\x02\x01\x70", 7); /* warning unrecognized_name */
    memcpy(buf + 7, hand_hello, sizeof(hand_hello));
    assert_int_equal(parse(buf, 7, &a), CS_ANSWER_NEED_MORE);
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.alert, -1);
    assert_true(a.hello_done);
}

static void test_close_notify_before_hello_is_the_answer(void **state)
{
    static const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    struct cs_answer a;
    assert_int_equal(parse(alert, sizeof(alert), &a), CS_ANSWER_ALERT);
    assert_int_equal(a.alert, 0);
}

static void test_one_byte_alert_record_is_malformed(void **state)
{
    static const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x01, 0x02};
    struct cs_answer a;
    assert_malformed(parse(alert, sizeof(alert), &a), &a, "alert_length");
}

static void test_alert_after_hello(void **state)
{
    unsigned char buf[sizeof(hand_hello) + 14];
    struct cs_answer a;
    memcpy(buf, hand_hello, sizeof(hand_hello));
    memcpy(buf + sizeof(hand_hello), "\x15\x03\x03\x00\x02\x02\x0a\x15\x03\x03\x00\x02\x02\x28",
           14);
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SERVER_HELLO);
    assert_int_equal(a.alert, 10); /* the first one */
    assert_true(a.hello_done);
}

/* ---- heartbeat ---------------------------------------------------------- */

/* hand_hello followed by one heartbeat record of `length` bytes whose
 * first three are type, claim. */
static unsigned char *with_heartbeat(size_t length, unsigned type, unsigned claim, size_t *len)
{
    unsigned char *buf = calloc(1, sizeof(hand_hello) + 5 + length);
    unsigned char *p = buf + sizeof(hand_hello);
    assert_non_null(buf);
    memcpy(buf, hand_hello, sizeof(hand_hello));
    p[0] = 24;
    p[1] = 3;
    p[2] = 3;
    p[3] = (unsigned char)(length >> 8);
    p[4] = length & 0xff;
    if (length >= 3) {
        p[5] = (unsigned char)type;
        p[6] = (unsigned char)(claim >> 8);
        p[7] = claim & 0xff;
    }
    *len = sizeof(hand_hello) + 5 + length;
    return buf;
}

static void test_heartbeat_leak(void **state)
{
    size_t len;
    unsigned char *buf = with_heartbeat(3 + CS_HEARTBEAT_CLAIM + 16, 2, CS_HEARTBEAT_CLAIM, &len);
    struct cs_answer a;

    assert_int_equal(parse(buf, len, &a), CS_ANSWER_SERVER_HELLO);
    assert_true(a.heartbeat_seen);
    assert_true(a.heartbeat_leak);
    assert_false(a.heartbeat_garbage);
    /* Judged only once the whole record is there. */
    assert_int_equal(parse(buf, len - 1, &a), CS_ANSWER_SERVER_HELLO);
    assert_true(a.heartbeat_seen);
    assert_false(a.heartbeat_leak);
    assert_false(a.heartbeat_garbage);
    assert_int_equal(parse(buf, sizeof(hand_hello) + 1, &a), CS_ANSWER_SERVER_HELLO);
    assert_false(a.heartbeat_seen);
    free(buf);
}

static void test_heartbeat_garbage(void **state)
{
    static const struct {
        size_t length;
        unsigned type, claim;
    } cases[] = {
        {3 + 16, 2, 0},                                       /* an honest empty response */
        {3 + CS_HEARTBEAT_CLAIM - 1, 2, CS_HEARTBEAT_CLAIM},  /* short of the claim */
        {3 + CS_HEARTBEAT_CLAIM + 16, 1, CS_HEARTBEAT_CLAIM}, /* a request */
        {3 + CS_HEARTBEAT_CLAIM + 16, 2, CS_HEARTBEAT_CLAIM - 1},
        {2, 2, 0},
        {0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        unsigned char *buf = with_heartbeat(cases[i].length, cases[i].type, cases[i].claim, &len);
        struct cs_answer a;
        assert_int_equal(parse(buf, len, &a), CS_ANSWER_SERVER_HELLO);
        assert_true(a.heartbeat_seen);
        assert_false(a.heartbeat_leak);
        assert_true(a.heartbeat_garbage);
        free(buf);
    }
}

/* ---- SSLv2 -------------------------------------------------------------- */

static const unsigned char ssl2_hello[] = {
    0x80, 0x24,                         /* two-byte header: 36 bytes */
    0x04, 0x00, 0x01, 0x00, 0x02,       /* SERVER-HELLO, no hit, X.509, SSL 2.0 */
    0x00, 0x03, 0x00, 0x06, 0x00, 0x10, /* certificate, cipher specs, connection id */
    'c',  'r',  't',                    /* a certificate of sorts */
    0x01, 0x00, 0x80, 0x07, 0x00, 0xc0, /* RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5 */
    0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
};

static void test_ssl2_server_hello(void **state)
{
    struct cs_answer a;
    assert_int_equal(parse(ssl2_hello, sizeof(ssl2_hello), &a), CS_ANSWER_SSL2_HELLO);
    assert_int_equal(a.ssl2_suite_count, 2);
    assert_int_equal(a.ssl2_suites[0], 0x010080);
    assert_int_equal(a.ssl2_suites[1], 0x0700c0);
    for (size_t n = 0; n < sizeof(ssl2_hello); n++)
        assert_int_equal(parse(ssl2_hello, n, &a), CS_ANSWER_NEED_MORE);
}

static void test_ssl2_lengths_that_do_not_add_up(void **state)
{
    unsigned char buf[sizeof(ssl2_hello)];
    struct cs_answer a;
    memcpy(buf, ssl2_hello, sizeof(buf));
    buf[8] = 0x04; /* certificate one byte longer */
    assert_malformed(parse(buf, sizeof(buf), &a), &a, "ssl2_server_hello_length");
    buf[8] = 0x02;
    buf[10] = 0x07; /* specs not a multiple of 3 */
    assert_malformed(parse(buf, sizeof(buf), &a), &a, "ssl2_cipher_specs_length");
    buf[1] = 0x05;
    assert_malformed(parse(buf, sizeof(buf), &a), &a, "ssl2_server_hello_too_short");
}

static void test_ssl2_kinds_capped(void **state)
{
    enum { SPECS = 40 };
    unsigned char buf[2 + 11 + 3 * SPECS];
    struct cs_answer a;
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x80 | ((sizeof(buf) - 2) >> 8);
    buf[1] = (sizeof(buf) - 2) & 0xff;
    buf[2] = 4;
    buf[6] = 2;
    buf[10] = 3 * SPECS;
    for (size_t i = 0; i < SPECS; i++)
        buf[13 + 3 * i] = (unsigned char)i;
    assert_int_equal(parse(buf, sizeof(buf), &a), CS_ANSWER_SSL2_HELLO);
    assert_int_equal(a.ssl2_suite_count, CS_SSL2_SUITES_MAX);
    assert_int_equal(a.ssl2_suites[CS_SSL2_SUITES_MAX - 1], (CS_SSL2_SUITES_MAX - 1) << 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_hello_offers_the_suites_and_extensions),
        cmocka_unit_test(test_tls13_hello_has_legacy_version_and_one_x25519_share),
        cmocka_unit_test(test_two_hellos_have_different_randoms),
        cmocka_unit_test(test_sslv3_hello_has_scsv_and_no_extensions),
        cmocka_unit_test(test_tls10_hello_has_no_signature_algorithms),
        cmocka_unit_test(test_fallback_deflate_and_heartbeat_when_asked),
        cmocka_unit_test(test_sslv3_fallback_scsv_follows_renegotiation_scsv),
        cmocka_unit_test(test_sni_is_sent_for_names_only),
        cmocka_unit_test(test_hellos_of_256_to_511_bytes_are_padded),
        cmocka_unit_test(test_build_needs_room),
        cmocka_unit_test(test_build_refuses_more_than_hello_max),
        cmocka_unit_test(test_build_refuses_other_versions),
        cmocka_unit_test(test_ssl2_client_hello_offers_every_kind),
        cmocka_unit_test(test_heartbeat_request_claims_without_payload),
        cmocka_unit_test(test_openssl_tls12_answer),
        cmocka_unit_test(test_openssl_tls10_answer_with_anonymous_suite),
        cmocka_unit_test(test_openssl_tls13_answer_stops_at_encrypted_records),
        cmocka_unit_test(test_openssl_hello_retry_request),
        cmocka_unit_test(test_openssl_alerts),
        cmocka_unit_test(test_hello_spread_over_one_byte_records),
        cmocka_unit_test(test_messages_coalesced_in_one_record),
        cmocka_unit_test(test_records_of_every_size),
        cmocka_unit_test(test_hand_hello),
        cmocka_unit_test(test_certificate_status_is_a_stapled_response),
        cmocka_unit_test(test_hello_without_extensions),
        cmocka_unit_test(test_session_id_longer_than_32),
        cmocka_unit_test(test_session_id_past_the_message),
        cmocka_unit_test(test_extensions_length_lies),
        cmocka_unit_test(test_extension_length_lies),
        cmocka_unit_test(test_message_length_lies),
        cmocka_unit_test(test_record_shorter_than_its_message),
        cmocka_unit_test(test_record_too_long),
        cmocka_unit_test(test_record_too_long_after_hello_ends_the_walk),
        cmocka_unit_test(test_bad_server_hello_version),
        cmocka_unit_test(test_handshake_interleaved_with_alert),
        cmocka_unit_test(test_unexpected_first_message),
        cmocka_unit_test(test_hello_request_is_skipped),
        cmocka_unit_test(test_empty_and_unknown_records),
        cmocka_unit_test(test_bad_record_after_hello_keeps_the_hello),
        cmocka_unit_test(test_supported_versions_decides_the_version),
        cmocka_unit_test(test_http_response_is_not_tls),
        cmocka_unit_test(test_ssh_banner_is_not_tls),
        cmocka_unit_test(test_nothing_yet_needs_more),
        cmocka_unit_test(test_fatal_alert_is_the_answer),
        cmocka_unit_test(test_warning_before_hello_is_stepped_over),
        cmocka_unit_test(test_close_notify_before_hello_is_the_answer),
        cmocka_unit_test(test_one_byte_alert_record_is_malformed),
        cmocka_unit_test(test_alert_after_hello),
        cmocka_unit_test(test_heartbeat_leak),
        cmocka_unit_test(test_heartbeat_garbage),
        cmocka_unit_test(test_ssl2_server_hello),
        cmocka_unit_test(test_ssl2_lengths_that_do_not_add_up),
        cmocka_unit_test(test_ssl2_kinds_capped),
    };
    return cmocka_run_group_tests_name("hello", tests, NULL, NULL);
}
