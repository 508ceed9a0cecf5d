import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Customers", path: "/customers", order: 20 },
  requires: "Query.customers",
  routes: [
    { path: "/customers", component: lazy(() => import("./CustomersList")) },
    { path: "/customers/:id", component: lazy(() => import("./CustomerDetail")) },
  ],
});
