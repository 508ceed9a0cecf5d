import { graphql } from "../../gql";

export const RuntimeSettingFields = graphql(`
  fragment RuntimeSettingFields on RuntimeSetting {
    key
    type
    description
    value
    default
    updatedAt
    updatedBy
  }
`);

export const SettingsQuery = graphql(`
  query Settings {
    settings {
      ...RuntimeSettingFields
    }
  }
`);

export const SettingUpdateMutation = graphql(`
  mutation SettingUpdate($input: SettingUpdateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    settingUpdate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      setting {
        ...RuntimeSettingFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
