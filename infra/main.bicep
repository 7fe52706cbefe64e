// What `azd provision` creates for Boxoffice (docs/adr/0016-deployment.md): a resource group with
// the Container Apps environment and the managed state the services keep (PostgreSQL, Redis, an
// Event Hubs namespace spoken to as Kafka), and a Key Vault with every secret the apps read.
// The container apps themselves are azd's per-service templates in AppHost/infra, deployed by
// `azd deploy` from the images it builds.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('The azd environment name: the resource group is rg-<name>.')
param environmentName string

@minLength(1)
@description('The Azure region of every resource.')
param location string

@description('The user or service principal running azd: may read the Key Vault (to roll a secret) and manage the apps.')
param principalId string = ''

@description('The https address buyers call (a custom domain bound to the gateway). Empty: https://gateway.<the environment\'s domain>.')
param publicUrl string = ''

@description('The real payment provider\'s API base address (https).')
param paymentProviderUrl string

@secure()
@description('The key the real payment provider issued to this deployment.')
param paymentProviderApiKey string

@allowed(['ZoneRedundant', 'SameZone', 'Disabled'])
@description('PostgreSQL\'s standby: ZoneRedundant, or SameZone in a region without availability zones.')
param postgresHighAvailability string = 'ZoneRedundant'

@description('The seeded organizer\'s and door staff\'s sign-in names.')
param organizerEmail string = 'organizer@boxoffice.local'
param staffEmail string = 'staff@boxoffice.local'

// Secrets azd generates once per environment and keeps (main.parameters.json names them); each
// lands in the Key Vault, never in a template or an app's plain configuration.
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
@description('The PostgreSQL server\'s administrator password: used only by the database-logins job.')
param postgresAdminPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param identitydbPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param catalogdbPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param bookingdbPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param paymentsdbPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param waitingroomdbPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param organizerPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param staffPassword string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param backofficeClientSecret string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param operatorClientSecret string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param storefrontClientSecret string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param waitingRoomSigningKey string
@secure()
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param waitingRoomInternalKey string

var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  scope: rg
  name: 'resources'
  params: {
    location: location
    tags: tags
    principalId: principalId
    publicUrl: publicUrl
    paymentProviderApiKey: paymentProviderApiKey
    postgresAdminPassword: postgresAdminPassword
    postgresHighAvailability: postgresHighAvailability
    databasePasswords: {
      identitydb: identitydbPassword
      catalogdb: catalogdbPassword
      bookingdb: bookingdbPassword
      paymentsdb: paymentsdbPassword
      waitingroomdb: waitingroomdbPassword
    }
    appSecrets: {
      'organizer-password': organizerPassword
      'staff-password': staffPassword
      'backoffice-client-secret': backofficeClientSecret
      'operator-client-secret': operatorClientSecret
      'storefront-client-secret': storefrontClientSecret
      'waiting-room-signing-key': waitingRoomSigningKey
      'waiting-room-internal-key': waitingRoomInternalKey
    }
  }
}

// Read by azd (its environment) and by the per-service templates as {{ .Env.NAME }}.
output AZURE_RESOURCE_GROUP string = rg.name
output MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.MANAGED_IDENTITY_CLIENT_ID
output MANAGED_IDENTITY_NAME string = resources.outputs.MANAGED_IDENTITY_NAME
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = resources.outputs.AZURE_LOG_ANALYTICS_WORKSPACE_NAME
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.AZURE_CONTAINER_REGISTRY_ENDPOINT
output AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID string = resources.outputs.AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = resources.outputs.AZURE_CONTAINER_APPS_ENVIRONMENT_NAME
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = resources.outputs.AZURE_CONTAINER_APPS_ENVIRONMENT_ID
output AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN string = resources.outputs.AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN
output AZURE_KEY_VAULT_ENDPOINT string = resources.outputs.AZURE_KEY_VAULT_ENDPOINT
output BOXOFFICE_PUBLIC_URL string = resources.outputs.PUBLIC_URL
output BOXOFFICE_PROXY_NETWORKS string = resources.outputs.PROXY_NETWORKS
output BOXOFFICE_KAFKA_BOOTSTRAP string = resources.outputs.KAFKA_BOOTSTRAP
output BOXOFFICE_DATABASE_LOGINS_JOB string = resources.outputs.DATABASE_LOGINS_JOB
output BOXOFFICE_PAYMENT_PROVIDER_URL string = paymentProviderUrl
output BOXOFFICE_ORGANIZER_EMAIL string = organizerEmail
output BOXOFFICE_STAFF_EMAIL string = staffEmail
