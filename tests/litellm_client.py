#!/usr/bin/env python3
"""Plays LiteLLM's hosted BudgetManager client against a running BudgetChat.Server, over HTTP.

Written from how LiteLLM's litellm/budget_manager.py calls the hosted protocol: it posts
{"project_name"} to /get_budget and reads status == "error" as "no budgets yet", else "data"; it posts
{"project_name", "user_dict"} to /set_budget after create_budget and update_cost and ignores the answer.

    python3 tests/litellm_client.py <base url> <admin api key> <project>

Exits 0 when every step reads back as LiteLLM would expect, 1 with a message otherwise.
"""

import sys
import time

import requests


def post(base, key, route, body):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    return requests.post(base.rstrip("/") + route, headers=headers, json=body, timeout=30).json()


def load(base, key, project):
    """LiteLLM's load_data: an error status means no user_dict yet."""
    response = post(base, key, "/get_budget", {"project_name": project})
    return {} if response["status"] == "error" else response["data"]


def save(base, key, project, user_dict):
    """LiteLLM's save_data: the whole dict, every time."""
    return post(base, key, "/set_budget", {"project_name": project, "user_dict": user_dict})


def check(condition, message):
    if not condition:
        print("litellm_client.py: " + message, file=sys.stderr)
        sys.exit(1)


def main(base, key, project):
    check(load(base, key, project) == {}, "a project without budgets should load as an empty user_dict")
    check(load(base, "not-a-key-of-this-service", project) == {}, "a refused key should read as status error")

    # create_budget(total_budget=10, user="alice", duration="monthly")
    now = time.time()
    users = load(base, key, project)
    users["alice"] = {"total_budget": 10.0, "duration": 28, "created_at": now, "last_updated_at": now}
    users["bob"] = {"total_budget": 5.0}
    save(base, key, project, users)
    users = load(base, key, project)
    # The service publishes the window's own length (a month of 28 to 31 days) so that LiteLLM's reset_on_duration
    # ends it exactly when the service's window ends.
    check(users["alice"]["total_budget"] == 10.0 and users["alice"]["duration"] in (28, 29, 30, 31), "alice after create_budget: %r" % users)
    check("duration" not in users["bob"], "bob has no duration: %r" % users["bob"])

    # update_cost(user="alice", model="gpt-4o", ...) twice
    for cost in (0.25, 0.5):
        user = users["alice"]
        user["current_cost"] = cost + user.get("current_cost", 0)
        user.setdefault("model_cost", {})
        user["model_cost"]["gpt-4o"] = cost + user["model_cost"].get("gpt-4o", 0)
        save(base, key, project, users)
    users = load(base, key, project)
    check(abs(users["alice"]["current_cost"] - 0.75) < 1e-9, "alice after update_cost: %r" % users["alice"])
    check(abs(users["alice"]["model_cost"]["gpt-4o"] - 0.75) < 1e-9, "alice's model_cost: %r" % users["alice"])

    # reset_cost(user="alice"), saved as update_budget_all_users does
    users["alice"]["current_cost"] = 0
    users["alice"]["model_cost"] = {}
    save(base, key, project, users)
    users = load(base, key, project)
    check(users["alice"]["current_cost"] == 0 and not any(users["alice"]["model_cost"].values()), "alice after reset_cost: %r" % users["alice"])

    # An hour, which create_budget has no name for, kept as a fraction of a day: LiteLLM's arithmetic makes it 3,600 s.
    users = load(base, key, project)
    users["carol"] = {"total_budget": 1.0, "duration": 1 / 24, "created_at": now, "last_updated_at": now}
    save(base, key, project, users)
    users = load(base, key, project)
    carol = users["carol"]
    check(carol["duration"] * 24 * 60 * 60 == 3600.0, "carol's hour: %r" % carol)
    check(time.time() - carol["last_updated_at"] < carol["duration"] * 24 * 60 * 60, "carol's hour has not ended: %r" % carol)
    save(base, key, project, users)
    check(load(base, key, project)["carol"]["duration"] * 24 * 60 * 60 == 3600.0, "carol's hour saved again: %r" % users["carol"])

    # A save the service refuses is status error, which LiteLLM would not even read.
    refused = save(base, key, project, {"alice": {"total_budget": -1}})
    check(refused["status"] == "error" and "total_budget" in refused["message"], "a bad save: %r" % refused)
    print("litellm_client.py: ok")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:])
