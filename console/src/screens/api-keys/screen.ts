import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "API keys", path: "/api-keys", order: 40 },
  requires: "Query.apiKeys",
  routes: [{ path: "/api-keys", component: lazy(() => import("./ApiKeys")) }],
});
