import { lazy } from "react";
import { defineScreen } from "../../app/screen";

// The link of a reset mail: `resetUrl` is {ADMIRAL_APP_URL}/reset-password?token=….
export default defineScreen({
  public: true,
  bare: true,
  routes: [{ path: "/reset-password", component: lazy(() => import("./ResetPassword")) }],
});
