import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  nav: { label: "Webhooks", path: "/webhooks", order: 50 },
  requires: "Query.webhookDeliveries",
  routes: [{ path: "/webhooks", component: lazy(() => import("./Webhooks")) }],
});
