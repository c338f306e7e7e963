import SportelloApp
print("sportello")
