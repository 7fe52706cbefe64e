// The resource group's contents (main.bicep): the Container Apps environment in a network of its
// own, the managed state, the Key Vault with every secret the apps read, and the job that gives
// each service's database a login of its own. docs/adr/0016-deployment.md.

@description('The Azure region of every resource.')
param location string = resourceGroup().location

@description('Applied to every resource.')
param tags object = {}

@description('The user or service principal running azd (may be empty): may manage the Key Vault\'s secrets.')
param principalId string = ''

@description('The https address buyers call; empty for https://gateway.<the environment\'s domain>.')
param publicUrl string = ''

@secure()
param paymentProviderApiKey string

@secure()
param postgresAdminPassword string

@allowed(['ZoneRedundant', 'SameZone', 'Disabled'])
@description('PostgreSQL\'s standby: ZoneRedundant where the region has availability zones.')
param postgresHighAvailability string = 'ZoneRedundant'

@secure()
@description('Each service database\'s login password, by database name.')
param databasePasswords object

@secure()
@description('The apps\' own secrets (seeded passwords, client secrets, the waiting room\'s keys), by their Key Vault name.')
param appSecrets object

var resourceToken = uniqueString(resourceGroup().id)

// One database per service, each with a login named as the database (docs/adr/0012-database-logins.md).
var databases = ['identitydb', 'catalogdb', 'bookingdb', 'paymentsdb', 'waitingroomdb']

// The services that publish or consume events: each signs in to the broker with a policy of its own.
var kafkaClients = ['catalog', 'booking', 'waiting-room', 'payments']

// Services.Contracts' Topics: each main topic with its retry and dead-letter topics. Partitions
// bound how many replicas of a consumer share a topic (payments' maximum replicas follow them).
var mainTopicPartitions = 4
var topics = [
  { name: 'catalog.events', partitions: mainTopicPartitions }
  { name: 'catalog.events.retry', partitions: 1 }
  { name: 'catalog.events.dlq', partitions: 1 }
  { name: 'booking.orders', partitions: mainTopicPartitions }
  { name: 'booking.orders.retry', partitions: 1 }
  { name: 'booking.orders.dlq', partitions: 1 }
  { name: 'payments', partitions: mainTopicPartitions }
  { name: 'payments.retry', partitions: 1 }
  { name: 'payments.dlq', partitions: 1 }
]

// The network: the environment's infrastructure subnet holds its ingress proxies (and the apps'
// replicas; no client outside reaches it but through the ingress), so it is the one network whose
// X-Forwarded-For the services believe (ForwardedHeaders:KnownNetworks). PostgreSQL has a subnet
// of its own and no public address.
var addressSpace = '10.40.0.0/16'
var infrastructureSubnetPrefix = '10.40.0.0/23'
var postgresSubnetPrefix = '10.40.2.0/24'

// Built-in roles.
var acrPullRole = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var keyVaultSecretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRole = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource managedIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'mi-${resourceToken}'
  location: location
  tags: tags
}

resource containerRegistry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: replace('acr-${resourceToken}', '-', '')
  location: location
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
  tags: tags
}

resource registryPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(containerRegistry.id, managedIdentity.id, acrPullRole)
  scope: containerRegistry
  properties: {
    principalId: managedIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRole)
  }
}

resource logAnalyticsWorkspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: 'law-${resourceToken}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
  tags: tags
}

resource network 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: 'vnet-${resourceToken}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressSpace]
    }
    subnets: [
      {
        name: 'infrastructure'
        properties: {
          addressPrefix: infrastructureSubnetPrefix
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'postgres'
        properties: {
          addressPrefix: postgresSubnetPrefix
          delegations: [
            {
              name: 'postgres'
              properties: {
                serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers'
              }
            }
          ]
        }
      }
    ]
  }
}

resource containerAppEnvironment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: 'cae-${resourceToken}'
  location: location
  tags: tags
  properties: {
    workloadProfiles: [
      {
        workloadProfileType: 'Consumption'
        name: 'consumption'
      }
    ]
    vnetConfiguration: {
      infrastructureSubnetId: network.properties.subnets[0].id
      internal: false
    }
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalyticsWorkspace.properties.customerId
        sharedKey: logAnalyticsWorkspace.listKeys().primarySharedKey
      }
    }
  }
}

// Secrets: the apps read them as Container Apps secrets that refer to the vault (their managed
// identity may read, nothing else); no secret is in a template or an app's plain settings.
resource keyVault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      family: 'A'
      name: 'standard'
    }
    tenantId: subscription().tenantId
    enableRbacAuthorization: true
    // Soft delete without purge protection: `azd down --purge` frees the name for the next `azd up`.
    // An environment meant to last turns purge protection on (it cannot be turned off again).
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
  }
}

resource appsReadSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, managedIdentity.id, keyVaultSecretsUserRole)
  scope: keyVault
  properties: {
    principalId: managedIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRole)
  }
}

// The operator rolls a secret by writing its new version (README, "Deploy it").
resource operatorManagesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(keyVault.id, principalId, keyVaultSecretsOfficerRole)
  scope: keyVault
  properties: {
    principalId: principalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRole)
  }
}

resource appSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = [
  for secret in items(appSecrets): {
    parent: keyVault
    name: secret.key
    properties: {
      value: secret.value
    }
  }
]

resource providerApiKey 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: 'payment-provider-api-key'
  properties: {
    value: paymentProviderApiKey
  }
}

// PostgreSQL: one flexible server, reachable only from the network, TLS required (the server's default).
resource postgresDns 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'boxoffice-${resourceToken}.postgres.database.azure.com'
  location: 'global'
  tags: tags
}

resource postgresDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: postgresDns
  name: 'vnet'
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: network.id
    }
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: 'psql-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard_D2ds_v5'
    tier: 'GeneralPurpose'
  }
  properties: {
    version: '16'
    administratorLogin: 'boxofficeadmin'
    administratorLoginPassword: postgresAdminPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: 64
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: postgresHighAvailability
    }
    network: {
      delegatedSubnetResourceId: network.properties.subnets[1].id
      privateDnsZoneArmResourceId: postgresDns.id
      publicNetworkAccess: 'Disabled'
    }
  }
  dependsOn: [
    postgresDnsLink
  ]
}

resource postgresDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = [
  for database in databases: {
    parent: postgres
    name: database
    properties: {
      charset: 'UTF8'
      collation: 'en_US.utf8'
    }
  }
]

resource databaseConnection 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = [
  for database in databases: {
    parent: keyVault
    name: 'connection-${database}'
    properties: {
      value: 'Host=${postgres.properties.fullyQualifiedDomainName};Port=5432;Database=${database};Username=${database};Password=${databasePasswords[database]};SSL Mode=VerifyFull'
    }
  }
]

// The administrator's password, for operators (psql as the administrator); the apps never read it.
resource postgresAdmin 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: 'postgres-admin-password'
  properties: {
    value: postgresAdminPassword
  }
}

// Redis: Azure Managed Redis, TLS only, one endpoint (not OSS cluster: the rate limiter's and the
// waiting room's scripts touch keys together).
resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: 'redis-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Balanced_B1'
  }
  properties: {
    minimumTlsVersion: '1.2'
    // Reached over TLS with a key; a private endpoint is left out (docs/adr/0016-deployment.md).
    publicNetworkAccess: 'Enabled'
  }
}

resource redisDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: redis
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    // The services sign in with the database's key (from the vault), as StackExchange.Redis does with a password.
    accessKeysAuthentication: 'Enabled'
  }
}

resource redisConnection 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: 'connection-redis'
  properties: {
    value: '${redis.properties.hostName}:10000,password=${redisDatabase.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

// Kafka: an Event Hubs namespace's Kafka endpoint (Standard: Kafka, consumer groups, 7 days of retention).
resource eventHubs 'Microsoft.EventHub/namespaces@2026-01-01' = {
  name: 'evhns-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: 2
  }
  properties: {
    minimumTlsVersion: '1.2'
    kafkaEnabled: true
    disableLocalAuth: false
  }
}

resource topic 'Microsoft.EventHub/namespaces/eventhubs@2026-01-01' = [
  for entry in topics: {
    parent: eventHubs
    name: entry.name
    properties: {
      partitionCount: entry.partitions
      messageRetentionInDays: 7
    }
  }
]

// Each service's own login (docs/adr/0013-kafka-logins.md): a shared access policy of its own,
// whose connection string is its SASL password; revoking one service's policy locks out it alone.
resource kafkaLogin 'Microsoft.EventHub/namespaces/authorizationRules@2026-01-01' = [
  for client in kafkaClients: {
    parent: eventHubs
    name: client
    properties: {
      rights: ['Send', 'Listen']
    }
  }
]

// Event Hubs' SASL user name for a connection-string password (payments' backlog scale rule reads it as a secret).
resource kafkaUsername 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: 'kafka-sasl-username'
  properties: {
    value: '$ConnectionString'
  }
}

resource kafkaPassword 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = [
  for (client, index) in kafkaClients: {
    parent: keyVault
    name: '${client}-kafka-password'
    properties: {
      value: kafkaLogin[index].listKeys().primaryConnectionString
    }
  }
]

// Gives each service's database its login (infra/database-logins/job.sh after the shared
// AppHost/postgres/database-logins.sh): started by infra/hooks/postprovision.sh at every provision.
resource databaseLoginsJob 'Microsoft.App/jobs@2025-07-01' = {
  name: 'database-logins'
  location: location
  tags: tags
  properties: {
    environmentId: containerAppEnvironment.id
    workloadProfileName: 'consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 300
      replicaRetryLimit: 2
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      // The passwords as the job's own secrets, from the secure parameters: a Key Vault reference
      // here could be read before the identity's new role on the vault takes effect (minutes).
      secrets: concat(
        [
          {
            name: 'postgres-admin-password'
            value: postgresAdminPassword
          }
        ],
        map(databases, database => {
          name: 'login-${database}'
          value: databasePasswords[database]
        })
      )
    }
    template: {
      containers: [
        {
          name: 'database-logins'
          image: 'docker.io/library/postgres:16'
          command: [
            '/bin/bash'
            '-c'
            'printf \'%s\' "$BOXOFFICE_PG_ROOTS" > /tmp/roots.pem && echo "$BOXOFFICE_LOGINS_SCRIPT" | base64 -d > /tmp/logins.sh && . /tmp/logins.sh'
          ]
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
          env: concat(
            [
              { name: 'BOXOFFICE_LOGINS_SCRIPT', value: base64('${loadTextContent('../AppHost/postgres/database-logins.sh')}\n${loadTextContent('database-logins/job.sh')}') }
              { name: 'BOXOFFICE_DATABASES', value: join(databases, ' ') }
              { name: 'PGHOST', value: postgres.properties.fullyQualifiedDomainName }
              { name: 'PGUSER', value: postgres.properties.administratorLogin }
              { name: 'PGDATABASE', value: 'postgres' }
              // The server is verified against the roots Azure's certificates chain to (the image has no CA bundle).
              { name: 'PGSSLMODE', value: 'verify-full' }
              { name: 'PGSSLROOTCERT', value: '/tmp/roots.pem' }
              { name: 'BOXOFFICE_PG_ROOTS', value: loadTextContent('database-logins/azure-postgres-roots.pem') }
              { name: 'PGPASSWORD', secretRef: 'postgres-admin-password' }
            ],
            map(databases, database => { name: 'BOXOFFICE_PG_LOGIN_${toUpper(database)}', secretRef: 'login-${database}' })
          )
        }
      ]
    }
  }
  dependsOn: [
    postgresDatabase
  ]
}

output MANAGED_IDENTITY_CLIENT_ID string = managedIdentity.properties.clientId
output MANAGED_IDENTITY_NAME string = managedIdentity.name
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = logAnalyticsWorkspace.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = containerRegistry.properties.loginServer
output AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID string = managedIdentity.id
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = containerAppEnvironment.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = containerAppEnvironment.id
output AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN string = containerAppEnvironment.properties.defaultDomain
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.properties.vaultUri
output PUBLIC_URL string = empty(publicUrl) ? 'https://gateway.${containerAppEnvironment.properties.defaultDomain}' : publicUrl
output PROXY_NETWORKS string = infrastructureSubnetPrefix
output KAFKA_BOOTSTRAP string = '${eventHubs.name}.servicebus.windows.net:9093'
output DATABASE_LOGINS_JOB string = databaseLoginsJob.name
