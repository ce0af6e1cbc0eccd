#!/usr/bin/python3
"""Regenerates the seeds of fuzz_ticket_answers (corpus/ticket_answers/*):
realistic answers of ServiceDesk Plus, ServiceNow, Jira, PagerDuty, Slack,
Teams and generic webhooks, successes and failures, in the harness's input
format (see the top of fuzz_ticket_answers.c):

    byte 0 the section, byte 1 the operation, byte 2 flags, then answers:
    status (2 bytes, big-endian), Retry-After (1 length byte + text),
    body (2 length bytes, big-endian, + bytes)

    /usr/bin/python3 tests/fuzz/make_ticket_answers_seeds.py
"""

import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "ticket_answers")

# The order of systems[] in the harness.
SDP, SDPCLOUD, SNOW, SNOWOAUTH, JIRA, JIRADC, PD, SLACK, TEAMS, GENERIC = range(10)
FIND, IS_OPEN, CREATE, NOTE, CLOSE, ALL = range(6)
RAISE, RESOLVE, NOTIFY = range(3)
SHORT_ERR, ODD_KEY, HUGE = 1, 2, 4
REFUSED = 0xFFFF

# The harness's key without FLAG_ODD_KEY, as SDP's description carries it.
KEY = "alert:expiry30:5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeedd"


def answer(status, body=b"", retry_after=b""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    if isinstance(retry_after, str):
        retry_after = retry_after.encode()
    return (struct.pack(">H", status) + bytes([len(retry_after)]) + retry_after +
            struct.pack(">H", len(body)) + body)


SEEDS = {}


def seed(name, system, op, flags, *answers):
    SEEDS[name] = bytes([system, op, flags]) + b"".join(answers)


# ---- ServiceDesk Plus -------------------------------------------------------

OK = {"status_code": 2000, "status": "success"}
DESC = ("The SSL Certificate of www.example.com:443 expires in 5 days."
        "<br><br>certsweep-key: " + KEY)


def sdp_request(rid, status="Open", description=DESC):
    r = {"id": rid, "subject": "SSL Certificate www.example.com expiry",
         "status": {"name": status, "id": "2"}}
    if description is not None:
        r["description"] = description
    return r


def sdp_list(requests, more=False):
    return {"requests": requests, "response_status": [OK],
            "list_info": {"has_more_rows": more, "row_count": len(requests),
                          "start_index": 1}}


SDP_FAILED = {"response_status": {
    "status_code": 4000, "status": "failed",
    "messages": [{"status_code": 4001, "field": "requester", "type": "failed",
                  "message": "Invalid value provided for requester"}]}}

seed("sdp_find_found", SDP, FIND, 0,
     answer(200, sdp_list([sdp_request("100000000000123", "Closed"),
                           sdp_request("100000000000124")])))
seed("sdp_find_fetches_candidate", SDP, FIND, 0,
     answer(200, sdp_list([sdp_request(100000000000123, description=None)])),
     answer(200, {"request": sdp_request("100000000000123"), "response_status": OK}))
seed("sdp_find_candidate_deleted", SDP, FIND, 0,
     answer(200, sdp_list([sdp_request("7", description=None)], more=True)),
     answer(404, {"response_status": {"status_code": 4000, "status": "failed",
                                       "messages": [{"status_code": 4007,
                                                     "message": "Invalid URL"}]}}),
     answer(200, sdp_list([])))
seed("sdp_find_none", SDP, FIND, 0, answer(200, sdp_list([])))
seed("sdp_find_no_list", SDP, FIND, 0, answer(200, {"response_status": [OK]}))
seed("sdp_is_open", SDP, IS_OPEN, 0,
     answer(200, {"request": sdp_request("100000000000123", "In Progress"),
                  "response_status": OK}))
seed("sdp_is_open_resolved", SDP, IS_OPEN, 0,
     answer(200, {"request": sdp_request("100000000000123", "Resolved"),
                  "response_status": OK}))
seed("sdp_is_open_404", SDP, IS_OPEN, 0,
     answer(404, {"response_status": {"status_code": 4000, "status": "failed",
                                       "messages": [{"status_code": 4007,
                                                     "message": "Invalid URL"}]}}))
seed("sdp_create", SDP, CREATE, 0,
     answer(201, {"request": sdp_request("100000000000125"), "response_status": OK}))
seed("sdp_create_numeric_id", SDP, CREATE, ODD_KEY,
     answer(200, {"request": {"id": 100000000000125}, "response_status": OK}))
seed("sdp_create_refused_in_200", SDP, CREATE, 0, answer(200, SDP_FAILED))
seed("sdp_create_unauthorised", SDP, CREATE, SHORT_ERR,
     answer(401, {"response_status": {"status_code": 4000, "status": "failed",
                                       "messages": [{"status_code": 4002,
                                                     "message": "UNAUTHORISED"}]}}))
seed("sdp_add_note", SDP, NOTE, 0,
     answer(201, {"note": {"id": "4", "description": "Still expiring"},
                  "response_status": OK}))
seed("sdp_close", SDP, CLOSE, 0,
     answer(200, {"request": sdp_request("100000000000123", "Closed"),
                  "response_status": OK}))
seed("sdp_close_echo", SDP, CLOSE, 0,
     answer(400, {"response_status": {"status_code": 4000, "status": "failed", "messages": [
         {"status_code": 4000, "message": "authtoken SdpAuthT0kenQ7W3E9R1 is not valid"}]}}))
seed("sdp_all", SDP, ALL, 0,
     answer(200, sdp_list([])),
     answer(201, {"request": sdp_request("100000000000125"), "response_status": OK}),
     answer(200, {"request": sdp_request("100000000000125"), "response_status": OK}),
     answer(201, {"note": {"id": "4"}, "response_status": OK}),
     answer(200, {"response_status": OK}))

TOKEN = {"access_token": "1000.4f0c1a2b3c4d5e6f7a8b9c0d1e2f3a4b.5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
         "api_domain": "https://www.zohoapis.com", "token_type": "Bearer",
         "expires_in": 3600}
seed("sdpcloud_create", SDPCLOUD, CREATE, 0,
     answer(200, TOKEN),
     answer(201, {"request": sdp_request("168000000041007"), "response_status": OK}))
seed("sdpcloud_token_revoked", SDPCLOUD, NOTE, 0,
     answer(200, TOKEN),
     answer(401, {"response_status": {"status_code": 4000, "status": "failed", "messages": [
         {"status_code": 4002, "message": "UNAUTHORISED"}]}}),
     answer(200, dict(TOKEN, access_token="1000.ffeeddccbbaa99887766554433221100.0a1b")),
     answer(201, {"request_note": {"id": "5"}, "response_status": OK}))
seed("sdpcloud_invalid_code", SDPCLOUD, IS_OPEN, 0, answer(200, {"error": "invalid_code"}))
seed("sdpcloud_token_rate_limited", SDPCLOUD, CLOSE, 0,
     answer(429, "Too many requests", "60"))
seed("sdpcloud_all", SDPCLOUD, ALL, 0,
     answer(200, TOKEN),
     answer(200, sdp_list([sdp_request("168000000041005", description=None)])),
     answer(200, {"request": sdp_request("168000000041005"), "response_status": OK}),
     answer(200, {"request": sdp_request("168000000041005", "Open"), "response_status": OK}),
     answer(201, {"request_note": {"id": "5"}, "response_status": OK}),
     answer(200, {"response_status": OK}))

# ---- ServiceNow --------------------------------------------------------------

SYS_ID = "9d385017c611228701d22104cc95c371"


def snow_record(active="true", sys_id=SYS_ID, number="INC0010002"):
    return {"sys_id": sys_id, "number": number, "state": "2", "active": active,
            "correlation_id": KEY, "short_description": "SSL Certificate expiry"}


SNOW_404 = {"error": {"message": "No Record found",
                      "detail": "Record doesn't exist or ACL restricts the record retrieval"},
            "status": "failure"}

seed("snow_find_found", SNOW, FIND, 0, answer(200, {"result": [snow_record()]}))
seed("snow_find_none", SNOW, FIND, ODD_KEY, answer(200, {"result": []}))
seed("snow_find_not_a_list", SNOW, FIND, 0, answer(200, {"result": {"sys_id": SYS_ID}}))
seed("snow_is_open", SNOW, IS_OPEN, 0, answer(200, {"result": {"active": "true", "state": "2"}}))
seed("snow_is_open_bool", SNOW, IS_OPEN, 0, answer(200, {"result": {"active": False}}))
seed("snow_is_open_acl_empty", SNOW, IS_OPEN, 0, answer(200, {"result": {"active": ""}}))
seed("snow_is_open_404", SNOW, IS_OPEN, 0, answer(404, SNOW_404))
seed("snow_create", SNOW, CREATE, 0, answer(201, {"result": snow_record(number="INC0010003")}))
seed("snow_create_no_sys_id", SNOW, CREATE, 0, answer(201, {"result": {"number": "INC1"}}))
seed("snow_create_forbidden", SNOW, CREATE, 0,
     answer(403, {"error": {"message": "Operation Failed",
                            "detail": "ACL Exception Insert Failed due to security constraints"},
                  "status": "failure"}))
seed("snow_add_note", SNOW, NOTE, 0, answer(200, {"result": snow_record()}))
seed("snow_close", SNOW, CLOSE, 0, answer(200, {"result": snow_record(active="false")}))
seed("snow_close_busy", SNOW, CLOSE, 0,
     answer(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", "120"))
seed("snow_all", SNOW, ALL, 0,
     answer(200, {"result": [snow_record()]}),
     answer(200, {"result": {"active": "true", "state": "2"}}),
     answer(200, {"result": snow_record()}),
     answer(200, {"result": snow_record(active="false")}))
SNOW_TOKEN = {"access_token": "XpO4vMk0bW3c2f1a0Z9y8x7w6v5u4t3s2r1q0p9o8n7m6l5k4j3i2h1g",
              "refresh_token": "SnowRefr3shT0kenU8Y4", "scope": "useraccount",
              "token_type": "Bearer", "expires_in": 1799}
seed("snowoauth_create", SNOWOAUTH, CREATE, 0,
     answer(200, SNOW_TOKEN), answer(201, {"result": snow_record()}))
seed("snowoauth_refused", SNOWOAUTH, FIND, 0,
     answer(401, {"error": "access_denied", "error_description": "access_denied"}))
seed("snowoauth_all", SNOWOAUTH, ALL, 0,
     answer(200, SNOW_TOKEN), answer(200, {"result": []}),
     answer(201, {"result": snow_record()}),
     answer(200, {"result": {"active": "true"}}),
     answer(200, {"result": snow_record()}),
     answer(200, {"result": snow_record(active="false")}))

# ---- Jira --------------------------------------------------------------------


def jira_issue(key="OPS-12", category="new"):
    return {"id": "10002", "key": key, "self": "https://acme.atlassian.net/rest/api/2/issue/10002",
            "fields": {"status": {"name": "To Do", "statusCategory": {"key": category}}}}


TRANSITIONS = {"expand": "transitions", "transitions": [
    {"id": "11", "name": "To Do", "to": {"statusCategory": {"key": "new"}}},
    {"id": "21", "name": "In Progress", "to": {"statusCategory": {"key": "indeterminate"}}},
    {"id": "31", "name": "Done", "to": {"statusCategory": {"key": "done"}}}]}

seed("jira_find_found", JIRA, FIND, 0,
     answer(200, {"expand": "names,schema", "startAt": 0, "maxResults": 1, "total": 2,
                  "issues": [jira_issue("OPS-9", "done"), jira_issue()]}))
seed("jira_find_gone_v3", JIRA, FIND, 0,
     answer(410, {"errorMessages": ["The requested API has been removed. Please migrate to "
                                    "the /rest/api/3/search/jql API."], "errors": {}}),
     answer(200, {"issues": [], "isLast": True}))
seed("jira_find_bad_jql", JIRA, FIND, 0,
     answer(400, {"errorMessages": ["Field 'labels' does not exist"], "warningMessages": []}))
seed("jira_is_open", JIRA, IS_OPEN, 0,
     answer(200, {"key": "OPS-12", "fields": {"status": {"statusCategory": {"key": "indeterminate"}}}}))
seed("jira_is_open_no_category", JIRA, IS_OPEN, 0, answer(200, {"key": "OPS-12", "fields": {}}))
seed("jira_is_open_404", JIRA, IS_OPEN, 0,
     answer(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                  "errors": {}}))
seed("jira_create", JIRA, CREATE, 0,
     answer(201, {"id": "10003", "key": "OPS-13", "self": "https://acme.atlassian.net/rest/api/2/issue/10003"}))
seed("jira_create_errors", JIRA, CREATE, SHORT_ERR,
     answer(400, {"errorMessages": [], "errors": {
         "labels": "Field 'labels' cannot be set. It is not on the appropriate screen, or unknown.",
         "project": "project is required"}}))
seed("jira_add_note", JIRA, NOTE, 0, answer(201, {"id": "10010", "body": "Still expiring"}))
seed("jira_close", JIRA, CLOSE, 0,
     answer(200, TRANSITIONS), answer(204), answer(201, {"id": "10011"}))
seed("jira_close_no_transition", JIRA, CLOSE, 0,
     answer(200, {"transitions": [{"id": "11", "name": "Start"}]}))
seed("jira_rate_limited", JIRA, NOTE, 0,
     answer(429, {"errorMessages": ["Rate limit exceeded."]}, "30"))
seed("jira_all", JIRA, ALL, 0,
     answer(200, {"issues": []}), answer(201, {"id": "10003", "key": "OPS-13"}),
     answer(200, {"fields": {"status": {"statusCategory": {"key": "new"}}}}),
     answer(201, {"id": "10010"}), answer(200, TRANSITIONS), answer(204),
     answer(201, {"id": "10011"}))
seed("jiradc_close_by_name", JIRADC, CLOSE, 0,
     answer(200, {"transitions": [{"id": "5", "name": "Resolve Issue",
                                   "to": {"statusCategory": {"key": "done"}}}]}),
     answer(204), answer(201, {"id": "1"}))
seed("jiradc_unauthorized_html", JIRADC, IS_OPEN, 0,
     answer(401, "<!DOCTYPE html><html><head><title>Unauthorized (401)</title></head>"
                 "<body>Basic authentication with passwords is deprecated.</body></html>"))

# ---- webhooks ----------------------------------------------------------------

seed("pd_raise", PD, RAISE, 0,
     answer(202, {"status": "success", "message": "Event processed",
                  "dedup_key": KEY}))
seed("pd_resolve", PD, RESOLVE, 0, answer(202, {"status": "success", "message": "Event processed"}))
seed("pd_notify_sends_nothing", PD, NOTIFY, 0)
seed("pd_invalid_event", PD, RAISE, 0,
     answer(400, {"status": "invalid event", "message": "Event object is invalid",
                  "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}))
seed("pd_rate_limited_date", PD, RAISE, 0,
     answer(429, {"status": "throttle event", "message": "Requests for this service are arriving too quickly."},
            "Mon, 23 Nov 2026 07:00:30 GMT"))
seed("pd_echo", PD, RAISE, SHORT_ERR,
     answer(400, {"status": "invalid event", "message": "Invalid routing key",
                  "errors": ["routing_key PdR0utingKeyOfThirtyTwoChars0123 is unknown"]}))
# Long echoes: the secret sits where a cut to 200 characters falls.
seed("pd_echo_long", PD, RAISE, 0,
     answer(400, {"message": "Event object is invalid",
                  "errors": ["x" * 150 + " PdR0utingKeyOfThirtyTwoChars0123"]}))
seed("slack_echo_long", SLACK, RAISE, 0,
     answer(400, "invalid_token " + "x" * 160 +
            " https://hooks.slack.com/services/T0SLACK/B0HOOK/sl4ckW3bh00kS3cret"))
seed("slack_ok", SLACK, RAISE, 0, answer(200, "ok"))
seed("slack_invalid_payload", SLACK, RAISE, 0, answer(400, "invalid_payload"))
seed("slack_no_service", SLACK, RESOLVE, 0, answer(404, "no_service"))
seed("slack_action_prohibited", SLACK, NOTIFY, 0, answer(403, "action_prohibited"))
seed("slack_captive_portal", SLACK, RAISE, 0,
     answer(200, "<html><head><title>Sign in to the network</title></head></html>"))
seed("slack_echo", SLACK, RAISE, 0,
     answer(400, "invalid_token for https://hooks.slack.com/services/T0SLACK/B0HOOK/sl4ckW3bh00kS3cret"))
seed("teams_accepted", TEAMS, RAISE, 0, answer(202))
seed("teams_bad_request", TEAMS, RESOLVE, 0,
     answer(400, {"error": {"code": "InvalidRequestContent",
                            "message": "The request content is not valid and could not be deserialized"}}))
seed("teams_echo_sig", TEAMS, NOTIFY, 0,
     answer(401, {"error": {"code": "DirectApiAuthorizationRequired",
                            "message": "sig=te4msS1gnatur3Q1W2E3 is not valid for /workflows/te4msW0rkfl0w/triggers/manual/paths/invoke"}}))
seed("generic_ok", GENERIC, RAISE, 0, answer(200, {"received": True}))
seed("generic_echo_bearer", GENERIC, RESOLVE, 0,
     answer(401, "Authorization: Bearer GenericBear3rT0kenZ1 rejected"))
seed("generic_bad_gateway_html", GENERIC, NOTIFY, 0,
     answer(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                 "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                 "</body>\r\n</html>\r\n"))
seed("generic_refused", GENERIC, RAISE, 0, answer(REFUSED))
seed("generic_too_big", GENERIC, RAISE, HUGE, answer(200))

# ---- truncated and odd answers ----------------------------------------------

seed("sdp_truncated_json", SDP, CREATE, 0,
     answer(200, '{"request": {"id": "100000000000125", "subject": "SSL'))
seed("snow_truncated_json", SNOW, FIND, 0, answer(200, '{"result": [{"sys_id": "9d3850'))
seed("jira_truncated_json", JIRA, CREATE, 0, answer(201, '{"id": "10003", "key": "OPS'))
seed("jira_empty_201", JIRA, CREATE, 0, answer(201))
seed("sdp_redirect", SDP, IS_OPEN, 0, answer(302, "<a href=\"/login\">Found</a>"))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
