import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Error groups", path: "/errors", order: 105 },
  requires: "Query.errorGroups",
  routes: [{ path: "/errors", component: lazy(() => import("./ErrorGroups")) }],
});
