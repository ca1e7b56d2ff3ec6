"""A training script that reports like an Azure ML job, with the Python standard library only.

It logs metrics both ways a run can:
- Run History (Azure ML SDK v1's run.log): RunMetrics_Post and RunMetrics_BatchPost to
  $AZUREML_SERVICE_ENDPOINT with the run's own token, $AZUREML_RUN_TOKEN;
- MLflow's tracking REST API (what v2 jobs use): runs/log-metric, log-batch, log-parameter and
  set-tag under $MLFLOW_TRACKING_URI with $MLFLOW_TRACKING_TOKEN, for run $MLFLOW_RUN_ID;
and writes its model and a report under outputs/, which become artifacts of the run.
Run outside Azure ML (no such variables), it trains and writes its outputs, and says so.
"""
import json
import math
import os
import sys
import time
import urllib.parse
import urllib.request


def call(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode("utf-8")
        return json.loads(text) if text else None


class RunHistory:
    """Run History's metric operations, as azureml-core's run.log sends them."""

    def __init__(self):
        env = os.environ
        self.token = env["AZUREML_RUN_TOKEN"]
        quote = lambda value: urllib.parse.quote(value, safe="")
        self.base = "%s/history/v1.0/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s/experiments/%s/runs/%s" % (
            env["AZUREML_SERVICE_ENDPOINT"].rstrip("/"),
            quote(env["AZUREML_ARM_SUBSCRIPTION"]),
            quote(env["AZUREML_ARM_RESOURCEGROUP"]),
            quote(env["AZUREML_ARM_WORKSPACE_NAME"]),
            quote(env["AZUREML_ARM_PROJECT_NAME"]),
            quote(env["AZUREML_RUN_ID"]),
        )

    @staticmethod
    def metric(name, value):
        return {
            "name": name,
            "metricType": "azureml.v1.scalar",
            "cells": [{name: value}],
            "schema": {"numProperties": 1, "properties": [{"propertyId": name, "name": name, "type": "float"}]},
        }

    def log(self, name, value):
        call("POST", self.base + "/metrics", self.token, self.metric(name, value))

    def log_many(self, values):
        call("POST", self.base + "/batch/metrics", self.token, {"values": [self.metric(n, v) for n, v in values]})


class Mlflow:
    """The MLflow tracking REST API, as the mlflow client sends it."""

    def __init__(self):
        env = os.environ
        self.base = env["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/"
        self.token = env["MLFLOW_TRACKING_TOKEN"]
        self.run_id = env["MLFLOW_RUN_ID"]

    def post(self, method, body):
        return call("POST", self.base + method, self.token, dict(body, run_id=self.run_id))

    def log_metric(self, key, value, step):
        self.post("runs/log-metric", {"key": key, "value": value, "timestamp": int(time.time() * 1000), "step": step})

    def log_param(self, key, value):
        self.post("runs/log-parameter", {"key": key, "value": str(value)})

    def set_tag(self, key, value):
        self.post("runs/set-tag", {"key": key, "value": value})

    def log_batch(self, metrics):
        now = int(time.time() * 1000)
        self.post("runs/log-batch", {"metrics": [{"key": k, "value": v, "timestamp": now, "step": s} for k, v, s in metrics]})


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    learning_rate = 0.1
    tracked = "AZUREML_RUN_TOKEN" in os.environ and "MLFLOW_TRACKING_URI" in os.environ
    history = RunHistory() if tracked else None
    mlflow = Mlflow() if tracked else None
    if mlflow:
        mlflow.log_param("epochs", epochs)
        mlflow.log_param("learning_rate", learning_rate)
        mlflow.set_tag("model", "linear")
    else:
        print("Not in a tracked run (no AZUREML_RUN_TOKEN): metrics are printed only")

    # Fits y = 3x + 1 by gradient descent: a loss that falls, an accuracy that rises.
    weight, bias = 0.0, 0.0
    points = [(x / 10.0, 3 * x / 10.0 + 1) for x in range(20)]
    for epoch in range(epochs):
        for x, y in points:
            error = weight * x + bias - y
            weight -= learning_rate * error * x
            bias -= learning_rate * error
        loss = sum((weight * x + bias - y) ** 2 for x, y in points) / len(points)
        accuracy = 1 - min(1.0, math.sqrt(loss) / 3)
        print("epoch %d: loss=%.6f accuracy=%.4f" % (epoch, loss, accuracy), flush=True)
        if history:
            history.log("loss", loss)
        if mlflow:
            mlflow.log_metric("accuracy", accuracy, epoch)
    if history:
        history.log_many([("final_weight", weight), ("final_bias", bias)])
    if mlflow:
        mlflow.log_batch([("final_loss", loss, epochs - 1)])

    os.makedirs("outputs", exist_ok=True)
    with open(os.path.join("outputs", "model.json"), "w") as f:
        json.dump({"weight": weight, "bias": bias}, f)
    os.makedirs(os.path.join("outputs", "reports"), exist_ok=True)
    with open(os.path.join("outputs", "reports", "summary.txt"), "w") as f:
        f.write("epochs=%d loss=%.6f\n" % (epochs, loss))
    print("wrote outputs/model.json and outputs/reports/summary.txt")


if __name__ == "__main__":
    main()
