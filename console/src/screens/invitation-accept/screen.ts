import { lazy } from "react";
import { defineScreen } from "../../app/screen";

// The link of an invitation mail: `acceptUrl` is {ADMIRAL_APP_URL}/invitations/accept?token=….
export default defineScreen({
  public: true,
  bare: true,
  routes: [{ path: "/invitations/accept", component: lazy(() => import("./AcceptInvitation")) }],
});
