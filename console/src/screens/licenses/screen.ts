import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Licenses", path: "/licenses", order: 45 },
  requires: "Query.licenses",
  routes: [{ path: "/licenses", component: lazy(() => import("./Licenses")) }],
});
