// Boxoffice storefront: the few live touches on top of pages that work without script.
// - [data-countdown]: a hold's time left, each second, rounded up; at zero (the hold's end, never
//   before it, or the page would say it ended while the server still holds it) the checkout form is disabled.
// - [data-queue-stream]: the waiting room's position, pushed by the server (Server-Sent Events);
//   when the state changes (the buyer's turn, sold out) the page reloads to show it.
// - [data-refresh-after]: a page that follows something (a payment) reloads after N seconds.
"use strict";

function startCountdowns() {
  for (const element of document.querySelectorAll("[data-countdown]")) {
    const ends = Date.parse(element.getAttribute("datetime"));
    const left = element.parentElement.querySelector("[data-countdown-left]");
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
      if (left) {
        left.textContent = `(${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left)`;
      }
      if (seconds === 0) {
        clearInterval(timer);
        for (const form of document.querySelectorAll("[data-expires-with]")) {
          for (const button of form.querySelectorAll("button")) {
            button.disabled = true;
          }
        }
        for (const message of document.querySelectorAll("[data-expired-message]")) {
          message.hidden = false;
        }
      }
    };
    const timer = setInterval(tick, 1000);
    tick();
  }
}

function waitInWords(seconds) {
  if (seconds <= 0) return "any moment now";
  if (seconds < 60) return "under a minute";
  if (seconds < 3600) return `about ${Math.ceil(seconds / 60)} min`;
  return `about ${Math.round(seconds / 360) / 10} h`;
}

function followQueue() {
  const section = document.querySelector("[data-queue-stream]");
  if (!section || !window.EventSource) {
    return;
  }
  const state = section.getAttribute("data-state");
  const stream = new EventSource(section.getAttribute("data-queue-stream"));
  let pollAfter = 5;
  stream.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    if (status.state !== state) {
      stream.close();
      window.location.reload();
      return;
    }
    pollAfter = status.pollAfterSeconds || pollAfter;
    const show = (field, value) => {
      const element = section.querySelector(`[data-field="${field}"]`);
      if (element && value !== null && value !== undefined) {
        element.textContent = value;
      }
    };
    show("position", status.position?.toLocaleString("en"));
    show("ahead", status.ahead?.toLocaleString("en"));
    if (status.estimatedWaitSeconds !== null && status.estimatedWaitSeconds !== undefined) {
      show("wait", waitInWords(status.estimatedWaitSeconds));
    }
  });
  stream.onerror = () => {
    // The stream ended (the server went away, or has nothing to stream): the page asks afresh,
    // after the pause the server last asked for, never in a tight loop.
    if (stream.readyState === EventSource.CLOSED) {
      setTimeout(() => window.location.reload(), Math.max(5, pollAfter) * 1000);
    }
  };
}

function refreshLater() {
  const element = document.querySelector("[data-refresh-after]");
  if (element) {
    const seconds = Number(element.getAttribute("data-refresh-after"));
    setTimeout(() => window.location.reload(), Math.max(1, seconds) * 1000);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  startCountdowns();
  followQueue();
  refreshLater();
});
