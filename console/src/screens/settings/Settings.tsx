// The runtime settings: each key with its value in force, its default and its last change.
// A boolean is toggled, any other key edited in a field of its type; every change is read
// from settingUpdate's dry run first.
import type {
  RuntimeSettingFieldsFragment as Setting,
  SettingUpdateMutation as Update,
  SettingUpdateMutationVariables as UpdateVariables,
} from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { SettingUpdateMutation, SettingsQuery } from "./documents";
import { display, fieldOf, inputOf } from "./values";

type Action = Omit<ActionProps<Update, UpdateVariables>, "onClose">;

function preview(before: Setting) {
  return (payload: { setting: Setting | null }) => (
    <p>
      <code>{before.key}</code> becomes{" "}
      <strong data-testid="preview-value">{display(before.type, payload.setting?.value)}</strong> (now{" "}
      {display(before.type, before.value)}).
    </p>
  );
}

function toggleAction(setting: Setting, onDone: () => void): Action {
  const next = setting.value !== true;
  return {
    title: `Turn ${setting.key} ${next ? "on" : "off"}`,
    document: SettingUpdateMutation,
    variables: () => ({ input: { key: setting.key, value: next } }),
    preview: preview(setting),
    confirmLabel: next ? "Turn on" : "Turn off",
    danger: setting.key === "maintenanceMode" && next,
    onDone,
  };
}

function editAction(setting: Setting, onDone: () => void): Action {
  return {
    title: `Change ${setting.key}`,
    document: SettingUpdateMutation,
    fields: [{ ...fieldOf(setting.type, setting.value), help: setting.description }],
    variables: (values) => ({ input: { key: setting.key, value: inputOf(setting.type, values.value) } }),
    preview: preview(setting),
    confirmLabel: "Save",
    onDone,
  };
}

function resetAction(setting: Setting, onDone: () => void): Action {
  return {
    title: `Reset ${setting.key} to its default`,
    document: SettingUpdateMutation,
    variables: () => ({ input: { key: setting.key, value: null } }),
    preview: preview(setting),
    confirmLabel: "Reset",
    onDone,
  };
}

export default function Settings() {
  const { data, errors, loading, refetch } = useQuery(SettingsQuery, {});
  const { dialog, open } = useActions();
  const settings = data?.settings ?? [];
  return (
    <section>
      <h1>Settings</h1>
      <p className="muted">Changes are audited and in force in every process within seconds.</p>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Settings" aria-busy={loading}>
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>Default</th>
            <th>Last change</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {settings.map((setting) => (
            <tr key={setting.key} data-testid={`setting-${setting.key}`}>
              <td>
                <code>{setting.key}</code> <span className="muted">{setting.type}</span>
                <div className="muted">{setting.description}</div>
              </td>
              <td data-testid="setting-value">{display(setting.type, setting.value)}</td>
              <td>{display(setting.type, setting.default)}</td>
              <td>
                {setting.updatedAt ? (
                  <>
                    {dateTime(setting.updatedAt)}
                    <div className="muted">{setting.updatedBy}</div>
                  </>
                ) : (
                  <span className="muted">never set</span>
                )}
              </td>
              <td>
                <Allowed field="Mutation.settingUpdate">
                  {setting.type === "BOOLEAN" ? (
                    <button type="button" onClick={() => open(toggleAction(setting, refetch))}>
                      {setting.value === true ? "Turn off…" : "Turn on…"}
                    </button>
                  ) : (
                    <button type="button" onClick={() => open(editAction(setting, refetch))}>
                      Edit…
                    </button>
                  )}
                  {setting.updatedAt && (
                    <button type="button" onClick={() => open(resetAction(setting, refetch))}>
                      Reset…
                    </button>
                  )}
                </Allowed>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
