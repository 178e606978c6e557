global using Microsoft.ML.Neo;
