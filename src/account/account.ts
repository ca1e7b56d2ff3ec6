/**
 * The account: DataFire's OAuth fields, plus where the service is. One account object is shared
 * by every action of the package.
 */

export interface Account {
  /** The bearer token sent in `Authorization`. */
  access_token?: string;
  /** DataFire's OAuth fields. */
  refresh_token?: string;
  client_id?: string;
  client_secret?: string;
  redirect_uri?: string;
  /** The service's base URL, e.g. `https://eastus.api.azureml.ms` (DataFire's convention). */
  host?: string;
  /** The workspace's Azure region, e.g. `eastus`: the base URL is then `https://{region}.api.azureml.ms`. */
  region?: string;
  /** The v2 API's base URL (Azure Resource Manager): default `https://management.azure.com`, or the emulator's URL. */
  management_host?: string;
  /** The national cloud of the v2 API when management_host is not given: AzureCloud, AzureChinaCloud, AzureUSGovernment. */
  cloud?: string;
  /** The API the workflow uses with this account: `v1` (default) or `v2`. */
  api?: string;
  /** Other fields are kept as given (DataFire accounts may carry more). */
  [field: string]: unknown;
}

/** The fields DataFire shows for the account (`datafire authenticate`, `getDetails()`). */
export const ACCOUNT_FIELDS: Record<string, string> = {
  access_token: 'An OAuth access token',
  refresh_token: 'An OAuth refresh token (optional)',
  client_id: 'An OAuth client ID (optional)',
  client_secret: 'An OAuth client secret (optional)',
  redirect_uri: 'The callback URL for your application',
  host: 'The service base URL, e.g. https://eastus.api.azureml.ms (or give region)',
  region: "The workspace's Azure region, e.g. eastus: the host is then https://{region}.api.azureml.ms",
};

/** The fields of an API with a host of its own (the v2 API), shown by its integration only. */
export const MANAGEMENT_ACCOUNT_FIELDS: Record<string, string> = {
  management_host: 'The v2 API (Azure Resource Manager) base URL (optional; default https://management.azure.com)',
  cloud: 'The national cloud of the v2 API when management_host is not given: AzureCloud, AzureChinaCloud or AzureUSGovernment (optional)',
};
