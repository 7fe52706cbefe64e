#!/bin/sh
# azd runs this after every provision (azure.yaml): it starts the database-logins job
# (infra/resources.bicep) and waits for it, so each service's database has its login before
# `azd deploy` starts the apps. Needs the Azure CLI, signed in (`az login`) as azd is.
set -eu

: "${AZURE_RESOURCE_GROUP:?run by azd after provisioning}"
: "${BOXOFFICE_DATABASE_LOGINS_JOB:?run by azd after provisioning}"
job="$BOXOFFICE_DATABASE_LOGINS_JOB"
group="$AZURE_RESOURCE_GROUP"

execution=$(az containerapp job start --name "$job" --resource-group "$group" --query name --output tsv)
echo "database logins: execution $execution started"
attempt=1
while [ "$attempt" -le 60 ]; do
  status=$(az containerapp job execution show --name "$job" --resource-group "$group" --job-execution-name "$execution" --query properties.status --output tsv)
  case "$status" in
    Succeeded)
      echo "database logins: ready"
      exit 0
      ;;
    Failed | Stopped | Degraded)
      echo "database logins: execution $execution ended $status; its log: az containerapp job logs show --name $job --resource-group $group --execution $execution --container database-logins" >&2
      exit 1
      ;;
  esac
  echo "database logins: $status ($attempt of 60, every 10 s)"
  attempt=$((attempt + 1))
  sleep 10
done
echo "database logins: execution $execution still not done after 10 minutes" >&2
exit 1
