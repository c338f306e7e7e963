import SportelloApp
print("bench")
